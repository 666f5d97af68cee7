import type { ErrorObject, FuncKeywordDefinition, SchemaValidateFunction } from 'ajv';
import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';
import commonPasswords from './common-passwords.json' with { type: 'json' };
import { normalizePhone } from './normalize.js';
import { passwordCandidates } from './password-words.js';
import type { Clock } from './ports.js';
import { PASSWORD_MAX_BYTES } from './registration-schema.js';

/**
 * What a validation is judged against besides the request: ajv passes it to every keyword as `this`
 * (`passContext`), from `validate.call(context, data)`. Today's date comes from the caller's clock, so
 * the age rule never reads the wall clock and a test can fix the day.
 */
export interface ValidationContext {
  /** Today in UTC, YYYY-MM-DD. */
  today: string;
}

export function validationContext(clock: Clock): ValidationContext {
  return { today: clock.now().toISOString().slice(0, 10) };
}

/** Custom keywords for the rules JSON Schema cannot state; all apply to strings only. Each error carries its own message. */
type KeywordCheck = (schema: any, data: any, parentData: any, context: ValidationContext | undefined) => string[];

/** A keyword as ajv takes it, with the one name and the validate function the generated validators call. */
export interface ValidationKeyword extends FuncKeywordDefinition {
  keyword: string;
  validate: SchemaValidateFunction;
}

function keyword(name: string, check: KeywordCheck): ValidationKeyword {
  const validate: SchemaValidateFunction = function (this: ValidationContext | undefined, schema, data, _parentSchema, dataCxt) {
    const messages = check(schema, data, dataCxt?.parentData, this);
    validate.errors = messages.map((message): Partial<ErrorObject> => ({ keyword: name, message, params: {} }));
    return messages.length === 0;
  };
  return { keyword: name, type: 'string', validate, errors: true };
}

const COMMON_PASSWORDS: ReadonlySet<string> = new Set(commonPasswords);
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
  if (passwordCandidates(password).some((candidate) => COMMON_PASSWORDS.has(candidate))) {
    problems.push('Password is too common; choose a less predictable one');
  }
  return problems;
}

// A name is written into mails to any address, so it may not carry line breaks, links, digits, or
// invisible and bidi-control (format) characters: letters, combining marks, single ASCII spaces,
// apostrophes (' ’), hyphens (- ‐) and periods only.
const NAME_CHARACTERS = /^[\p{L}\p{M} '’\-‐.]*$/u;
// "evil.example", "t.co": a period running into a word makes a host name that mail clients link. Only
// initials ("J.R.") may follow a period directly: a top-level domain has more than one letter.
const PERIOD_INTO_WORD = /\.\p{L}\p{M}*(?![\p{M}.])/u;

export function nameProblems(name: string): string[] {
  if (!NAME_CHARACTERS.test(name)) return ['May contain only letters, spaces, apostrophes, hyphens and periods'];
  const problems: string[] = [];
  if (name === '') return problems; // blank: minLength reports it as missing
  if (!/\p{L}/u.test(name)) problems.push('Must contain a letter');
  if (name.includes('  ')) problems.push('Must not contain two spaces in a row');
  if (PERIOD_INTO_WORD.test(name)) problems.push('A period must be followed by a space, except between initials as in J.R.');
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

export function ageProblems(dateOfBirth: string, limits: { min: number; max: number }, today: string): string[] {
  // Not a real calendar date: the format keyword reports it.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dateOfBirth) || addYears(dateOfBirth, 0) !== dateOfBirth) return [];
  if (dateOfBirth >= today) return ['Date of birth must be in the past'];
  if (addYears(dateOfBirth, limits.min) > today) return [`Must be at least ${limits.min} years old`];
  if (addYears(dateOfBirth, limits.max) < today) return [`Date of birth must be within the last ${limits.max} years`];
  return [];
}

const COUNTRY_CODE = /^[A-Z]{2}$/;
// ICU knows every ISO 3166-1 region; these codes it also knows are groupings, not countries.
const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'QO', 'UN', 'ZZ']);

export function isCountryCode(code: string): boolean {
  return COUNTRY_CODE.test(code) && !NOT_COUNTRIES.has(code) && REGION_NAMES.of(code) !== undefined;
}

const FALLBACK_POSTAL = /^[A-Za-z0-9][A-Za-z0-9 -]{1,14}$/;
// Real codes that postcode-validator's patterns miss; matched with the same case-insensitivity and
// optional space as its own pattern for that country. GIR 0AA is Girobank's, still delivered by Royal Mail.
const EXTRA_POSTAL: Partial<Record<string, RegExp>> = { GB: /^GIR ?0AA$/i };

export function postalCodeProblems(zip: string, country: unknown): string[] {
  const code = typeof country === 'string' ? country : 'US';
  if (!isCountryCode(code)) return []; // the country keyword reports it
  const valid = postcodeValidatorExistsForCountry(code)
    ? postcodeValidator(zip, code) || EXTRA_POSTAL[code]?.test(zip) === true
    : FALLBACK_POSTAL.test(zip);
  if (valid) return [];
  return [code === 'US' ? 'Must be a valid US ZIP code (12345 or 12345-6789)' : `Must be a valid postal code for ${code}`];
}

/**
 * Every custom keyword: registered with ajv by lib/validation/ajv.ts (and so by the build-time
 * generator), and called at run time by the precompiled validators through standalone-runtime.ts.
 */
export const VALIDATION_KEYWORDS: readonly ValidationKeyword[] = [
  keyword('e164Phone', (_s, phone: string) =>
    normalizePhone(phone) ? [] : ['Must be an international phone number such as +14155552671'],
  ),
  keyword('personName', (_s, name: string) => nameProblems(name)),
  keyword('passwordPolicy', (_s, password: string) => passwordProblems(password)),
  keyword('sameAs', (other: string, value: string, parent) =>
    parent?.[other] === value ? [] : ['Passwords do not match'],
  ),
  keyword('age', (limits, dob: string, _parent, context) => {
    if (!context?.today) throw new Error('the age rule needs today: call the validator with a clock');
    return ageProblems(dob, limits, context.today);
  }),
  keyword('postalCode', (_s, zip: string, parent) => postalCodeProblems(zip, parent?.country)),
  keyword('countryCode', (_s, country: string) =>
    isCountryCode(country) ? [] : ['Must be an ISO 3166-1 alpha-2 country code such as US'],
  ),
  // The email format does not limit the part before the @, which mail systems cap at 64 characters.
  keyword('emailLocalPart', (max: number, email: string) =>
    email.lastIndexOf('@') <= max ? [] : [`The part before the @ must be at most ${max} characters`],
  ),
  // Nor the labels of the domain, which DNS caps at 63 characters: no mail can be delivered past one.
  keyword('emailDomainLabel', (max: number, email: string) =>
    email.slice(email.lastIndexOf('@') + 1).split('.').every((label) => label.length <= max)
      ? []
      : [`Each part of the domain after the @ must be at most ${max} characters`],
  ),
];
