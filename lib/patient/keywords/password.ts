import { unpackWords } from '../../compact-data.js';
import { COMMON_PASSWORDS } from '../common-passwords.js';
import { passwordCandidates } from '../password-words.js';
import { PASSWORD_MAX_BYTES } from '../registration-schema.js';
import { keyword } from './keyword.js';

/** The common-password list comes with this module only: the validators of a password being chosen. */
const COMMON: ReadonlySet<string> = new Set(unpackWords(COMMON_PASSWORDS));
const utf8 = new TextEncoder();

export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if ([...password].length < 8) problems.push('Password must contain at least 8 characters');
  if (!/\p{Lu}/u.test(password)) problems.push('Password must contain an uppercase letter');
  if (!/\p{Ll}/u.test(password)) problems.push('Password must contain a lowercase letter');
  if (!/\p{Nd}/u.test(password)) problems.push('Password must contain a number');
  if (!/[^\p{L}\p{N}\s]/u.test(password)) problems.push('Password must contain a special character');
  // bcrypt reads only the first 72 bytes; refusing longer passwords beats silently ignoring the rest.
  if (utf8.encode(password).length > PASSWORD_MAX_BYTES) {
    problems.push(`Password must be at most ${PASSWORD_MAX_BYTES} bytes long`);
  }
  if (passwordCandidates(password).some((candidate) => COMMON.has(candidate))) {
    problems.push('Password is too common; choose a less predictable one');
  }
  return problems;
}

export const passwordPolicy = keyword('passwordPolicy', (_s, password: string) => passwordProblems(password));

export const sameAs = keyword('sameAs', (other: string, value: string, parent) =>
  parent?.[other] === value ? [] : ['Passwords do not match'],
);

// A "change" to the same password ends the other sessions and mails a notice for nothing, and keeps a
// password the patient meant to leave behind. The request carries both, so this needs no store.
export const differsFrom = keyword('differsFrom', (other: string, value: string, parent) =>
  parent?.[other] === value ? ['The new password must differ from the current one'] : [],
);
