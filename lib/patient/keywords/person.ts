import { keyword } from './keyword.js';
import { isHighlyRestrictive } from './scripts.js';

// A name is written into mails to any address, so it may not carry line breaks, links, digits, or
// invisible and bidi-control (format) characters: letters, combining marks, single ASCII spaces,
// apostrophes (' ’), hyphens (- ‐) and periods only.
const NAME_CHARACTERS = /^[\p{L}\p{M} '’\-‐.]*$/u;
// "evil.example", "t.co": a period running into a word makes a host name that mail clients link. Only
// initials ("J.R.") may follow a period directly: a top-level domain has more than one letter.
const PERIOD_INTO_WORD = /\.\p{L}\p{M}*(?![\p{M}.])/u;

function nameProblems(name: string, asSent: string): string[] {
  // As sent too: NFKC would turn a no-break or other odd space into a plain one, and fold look-alike
  // punctuation, which a name has no business carrying in the first place.
  if (!NAME_CHARACTERS.test(name) || !NAME_CHARACTERS.test(asSent)) return ['May contain only letters, spaces, apostrophes, hyphens and periods'];
  const problems: string[] = [];
  if (name === '') return problems; // blank: minLength reports it as missing
  if (!/\p{L}/u.test(name)) problems.push('Must contain a letter');
  if (name.includes('  ')) problems.push('Must not contain two spaces in a row');
  if (PERIOD_INTO_WORD.test(name)) problems.push('A period must be followed by a space, except between initials as in J.R.');
  // Look-alikes from another script ("Jane" with a Lisu ꓸ or a Cyrillic а) pass every rule above.
  if (!isHighlyRestrictive(name)) problems.push('Must be written in one script: letters of different alphabets (such as Latin and Cyrillic) cannot be mixed');
  return problems;
}

/** The same calendar day `years` later, as YYYY-MM-DD. */
function addYears(isoDate: string, years: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999. A 29 February birthday
  // falls on 1 March in years without one, as the date rolls over.
  const date = new Date(0);
  date.setUTCFullYear(y + years, m - 1, d);
  return date.toISOString().slice(0, 10);
}

function ageProblems(dateOfBirth: string, limits: { min: number; max: number }, today: string): string[] {
  // Not a real calendar date: the format keyword reports it.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dateOfBirth) || addYears(dateOfBirth, 0) !== dateOfBirth) return [];
  if (dateOfBirth >= today) return ['Date of birth must be in the past'];
  if (addYears(dateOfBirth, limits.min) > today) return [`Must be at least ${limits.min} years old`];
  if (addYears(dateOfBirth, limits.max) < today) return [`Date of birth must be within the last ${limits.max} years`];
  return [];
}

/**
 * Names are stored NFKC-normalized: fullwidth and other compatibility forms ("Ｊａｎｅ", "ﬁ") become the
 * letters they stand for, and what is judged is what is stored.
 */
export const personName = keyword('personName', (_s, name: string, _parent, _context, asSent: string) => nameProblems(name, asSent), { normalize: (name) => name.normalize('NFKC') });

export const age = keyword('age', (limits, dob: string, _parent, context) => {
  if (!context?.today) throw new Error('the age rule needs today: call the validator with a clock');
  return ageProblems(dob, limits, context.today);
});
