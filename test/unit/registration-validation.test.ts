import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { validateResendVerification } from '../../lib/patient/generated/resend-verification.js';
import type { Clock } from '../../lib/patient/ports.js';
import { SPEC_EXAMPLE } from '../support/requests.js';

/** A clock stopped at one instant: no test here depends on the day it runs. */
const clockAt = (instant: string): Clock => ({ now: () => new Date(instant) });
const TODAY = '2026-06-15';
const clock = clockAt(`${TODAY}T12:00:00Z`);

/** The field errors a request gets, or {} when it is valid. */
function errorsFor(change: (body: Record<string, any>) => void, on: Clock = clock): Record<string, string[]> {
  const body: Record<string, any> = structuredClone(SPEC_EXAMPLE);
  change(body);
  try {
    validateRegistration(body, on);
    return {};
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.errors;
  }
}
const set = (path: string, value: unknown) => (body: Record<string, any>) => {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((node, key) => (node[key] ??= {}), body);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
};
const text = (n: number, ch = 'a') => ch.repeat(n);

describe('the spec example', () => {
  it('is valid as written', () => {
    expect(errorsFor(() => {})).toEqual({});
  });
});

type Case = [name: string, path: string, value: unknown, expected: string[] | 'valid'];

const cases: Case[] = [
  // names: 2–50 characters after trimming; blank counts as missing
  ['first_name of 2 characters', 'first_name', 'Jo', 'valid'],
  ['first_name of 1 character', 'first_name', 'J', ['Must be at least 2 characters']],
  ['first_name of 50 characters', 'first_name', text(50), 'valid'],
  ['first_name of 51 characters', 'first_name', text(51), ['Must be at most 50 characters']],
  ['first_name missing', 'first_name', undefined, ['First name is required']],
  ['first_name blank', 'first_name', '   ', ['First name is required']],
  ['first_name padded to 2 characters', 'first_name', '  Jo  ', 'valid'],
  ['first_name not a string', 'first_name', 42, ['Must be a string']],
  ['first_name of 50 astral letters counts characters, not UTF-16 units', 'first_name', text(50, '𠀀'), 'valid'],
  ['last_name of 1 character', 'last_name', 'S', ['Must be at least 2 characters']],
  ['last_name of 51 characters', 'last_name', text(51), ['Must be at most 50 characters']],
  ['last_name blank', 'last_name', '', ['Last name is required']],
  // email
  ['email valid', 'email', 'a.b+c@example.co.uk', 'valid'],
  ['email upper case', 'email', 'Jane.Smith@Email.COM', 'valid'],
  ['email without @', 'email', 'jane.smith.email.com', ['Must be a valid email address']],
  ['email without domain', 'email', 'jane@', ['Must be a valid email address']],
  ['email of 254 characters', 'email', `${text(64)}@${text(63)}.${text(63)}.${text(61)}`, 'valid'],
  ['email of 255 characters', 'email', `${text(64)}@${text(63)}.${text(63)}.${text(62)}`, ['Must be at most 254 characters']],
  ['email missing', 'email', undefined, ['Email is required']],
  ['email with a 64-character local part', 'email', `${text(64)}@email.com`, 'valid'],
  ['email with a 65-character local part', 'email', `${text(65)}@email.com`, ['The part before the @ must be at most 64 characters']],
  ['email with a 63-character domain label', 'email', `jane@${text(63)}.com`, 'valid'],
  ['email with a 64-character domain label', 'email', `jane@${text(64)}.com`, ['Each part of the domain after the @ must be at most 63 characters']],
  ['email with a 64-character top-level label', 'email', `jane@email.${text(64)}`, ['Each part of the domain after the @ must be at most 63 characters']],
  ['email with a 64-character label among short ones', 'email', `jane@mail.${text(64)}.example.com`, ['Each part of the domain after the @ must be at most 63 characters']],
  // phone: "+" then 8–15 digits, first 1–9, separators ignored
  ['phone as in the spec', 'phone_number', '+1234567890', 'valid'],
  ['phone with separators', 'phone_number', '+1 (234) 567-89.0', 'valid'],
  ['phone of 8 digits', 'phone_number', '+12345678', 'valid'],
  ['phone of 7 digits', 'phone_number', '+1234567', ['Must be an international phone number such as +14155552671']],
  ['phone of 15 digits', 'phone_number', '+123456789012345', 'valid'],
  ['phone of 16 digits', 'phone_number', '+1234567890123456', ['Must be an international phone number such as +14155552671']],
  ['phone starting with 0', 'phone_number', '+0234567890', ['Must be an international phone number such as +14155552671']],
  ['phone without +', 'phone_number', '1234567890', ['Must be an international phone number such as +14155552671']],
  ['phone with letters', 'phone_number', '+1234CALLME', ['Must be an international phone number such as +14155552671']],
  ['phone with a trunk prefix written (0)', 'phone_number', '+44 (0)20 7946 0958', 'valid'],
  ['phone under a country calling code that does not exist', 'phone_number', '+999 123456789', ['Must be an international phone number such as +14155552671']],
  ['phone with an extension', 'phone_number', '+1 415 555 2671 ext 5', ['Must be an international phone number such as +14155552671']],
  ['phone missing', 'phone_number', undefined, ['Phone number is required']],
  // gender
  ...(['male', 'female', 'other', 'prefer_not_to_say'].map((g): Case => [`gender ${g}`, 'gender', g, 'valid'])),
  ['gender in another case', 'gender', 'Female', ['Must be one of: male, female, other, prefer_not_to_say']],
  ['gender unknown', 'gender', 'unknown', ['Must be one of: male, female, other, prefer_not_to_say']],
  ['gender missing', 'gender', undefined, ['Gender is required']],
  // date of birth (the age boundaries, on several fixed days, are below)
  ['date_of_birth 30 February', 'date_of_birth', '2001-02-30', ['Must be a valid date in YYYY-MM-DD format']],
  ['date_of_birth 29 February of a leap year', 'date_of_birth', '2000-02-29', 'valid'],
  ['date_of_birth in the year 50 (not 1950)', 'date_of_birth', '0050-01-01', ['Date of birth must be within the last 150 years']],
  ['date_of_birth in the year 0', 'date_of_birth', '0000-01-01', ['Date of birth must be within the last 150 years']],
  ['date_of_birth 29 February of a common year', 'date_of_birth', '2001-02-29', ['Must be a valid date in YYYY-MM-DD format']],
  ['date_of_birth in another format', 'date_of_birth', '05/15/1990', ['Must be a valid date in YYYY-MM-DD format']],
  ['date_of_birth with a time', 'date_of_birth', '1990-05-15T00:00:00Z', ['Must be a valid date in YYYY-MM-DD format']],
  ['date_of_birth missing', 'date_of_birth', undefined, ['Date of birth is required']],
  // address
  ['street of 200 characters', 'address.street', text(200), 'valid'],
  ['street of 201 characters', 'address.street', text(201), ['Must be at most 200 characters']],
  ['street blank', 'address.street', ' ', ['Street is required']],
  ['city of 100 characters', 'address.city', text(100), 'valid'],
  ['city of 101 characters', 'address.city', text(101), ['Must be at most 100 characters']],
  ['state of 50 characters', 'address.state', text(50), 'valid'],
  ['state of 51 characters', 'address.state', text(51), ['Must be at most 50 characters']],
  ['state missing', 'address.state', undefined, ['State is required']],
  ['zip ZIP+4', 'address.zip', '02101-1234', 'valid'],
  ['zip of 4 digits', 'address.zip', '0210', ['Must be a valid US ZIP code (12345 or 12345-6789)']],
  ['zip with letters', 'address.zip', 'ABCDE', ['Must be a valid US ZIP code (12345 or 12345-6789)']],
  ['zip missing', 'address.zip', undefined, ['Zip is required']],
  ['address missing', 'address', undefined, ['Address is required']],
  ['address not an object', 'address', '456 Main Street', ['Must be an object']],
  ['country US given', 'address.country', 'US', 'valid'],
  ['country lower case', 'address.country', 'us', ['Must be an ISO 3166-1 alpha-2 country code such as US']],
  ['country that is not assigned', 'address.country', 'XX', ['Must be an ISO 3166-1 alpha-2 country code such as US']],
  ['country code of a grouping, not a country', 'address.country', 'EU', ['Must be an ISO 3166-1 alpha-2 country code such as US']],
  ['country of 3 letters', 'address.country', 'USA', ['Must be an ISO 3166-1 alpha-2 country code such as US']],
  ['unknown field in address', 'address.county', 'Suffolk', ['Unknown field']],
  // emergency contact: optional; name and phone required when given
  ['emergency_contact absent', 'emergency_contact', undefined, 'valid'],
  ['emergency_contact null', 'emergency_contact', null, 'valid'],
  ['emergency_contact name of 100 characters', 'emergency_contact.name', text(100), 'valid'],
  ['emergency_contact name of one character (李)', 'emergency_contact.name', '李', 'valid'],
  ['emergency_contact name of 101 characters', 'emergency_contact.name', text(101), ['Must be at most 100 characters']],
  ['emergency_contact phone invalid', 'emergency_contact.phone', '555-1234', ['Must be an international phone number such as +14155552671']],
  ['emergency_contact phone with a trunk prefix written (0)', 'emergency_contact.phone', '+49 (0)30 123456', 'valid'],
  ['emergency_contact phone under a country calling code that does not exist', 'emergency_contact.phone', '+999 123456789', ['Must be an international phone number such as +14155552671']],
  ['emergency_contact phone missing', 'emergency_contact.phone', undefined, ['Phone is required']],
  ['emergency_contact relationship of 50 characters', 'emergency_contact.relationship', text(50), 'valid'],
  ['emergency_contact relationship of 51 characters', 'emergency_contact.relationship', text(51), ['Must be at most 50 characters']],
  ['emergency_contact relationship absent', 'emergency_contact.relationship', undefined, 'valid'],
  // medical history: at most 50 strings of at most 500 characters
  ['medical_history of 50 entries', 'medical_history', Array(50).fill('asthma'), 'valid'],
  ['medical_history of 51 entries', 'medical_history', Array(51).fill('asthma'), ['Must have at most 50 entries']],
  ['medical_history entry of 500 characters', 'medical_history', [text(500)], 'valid'],
  ['medical_history empty', 'medical_history', [], 'valid'],
  ['medical_history not an array', 'medical_history', 'asthma', ['Must be an array']],
  // insurance
  ['insurance provider of 100 characters', 'insurance_info.provider', text(100), 'valid'],
  ['insurance provider of 101 characters', 'insurance_info.provider', text(101), ['Must be at most 100 characters']],
  ['insurance policy_number of 50 characters', 'insurance_info.policy_number', text(50), 'valid'],
  ['insurance policy_number of 51 characters', 'insurance_info.policy_number', text(51), ['Must be at most 50 characters']],
  ['insurance policy_number missing', 'insurance_info.policy_number', undefined, ['Policy number is required']],
  ['insurance_info null', 'insurance_info', null, 'valid'],
  // unknown fields
  ['an unknown top-level field', 'nickname', 'JJ', ['Unknown field']],
];

describe.each(cases)('%s', (_name, path, value, expected) => {
  it(expected === 'valid' ? 'is accepted' : `is refused: ${expected.join('; ')}`, () => {
    const errors = errorsFor(set(path, value));
    if (expected === 'valid') expect(errors).toEqual({});
    else expect(errors).toEqual({ [path.replace(/\.\d+$/, '')]: expected });
  });
});

// Names are written into mails sent to any address: no line breaks, links, digits or invisible characters.
describe.each(['first_name', 'last_name', 'emergency_contact.name'])('%s: letters, marks, spaces, apostrophes, hyphens and periods', (path) => {
  const ONLY = 'May contain only letters, spaces, apostrophes, hyphens and periods';
  it.each([
    'Jane', 'Smith', 'John Smith', 'O’Brien', "O'Brien", 'Anne-Marie', 'Anne‐Marie', 'José', 'Jose\u0301', '李娜', 'Nguyễn',
    'J. R.', 'J.R.', 'J.R. Smith', 'Jr.', 'St. John', 'Zoë', 'Ólafsdóttir', 'Þór', 'Дмитрий', 'محمد', 'שרה', 'देवी', 'ʻIolani',
    "d'Artagnan", '’t Hooft', 'Mary Ann de la Cruz',
  ])('%j is accepted', (name) => {
    expect(errorsFor(set(path, name))).toEqual({});
  });

  it.each([
    ['a mail-injection attempt', 'J,\n\nLocked! Go to https://evil.example/x', [ONLY]],
    ['a line break', 'Jane\nSmith', [ONLY]],
    ['a tab', 'Jane\tSmith', [ONLY]],
    ['a URL', 'https://evil.example', [ONLY]],
    ['digits', 'Jane2', [ONLY]],
    ['markup', '<b>Jane</b>', [ONLY]],
    ['an emoji', 'Jane 😀', [ONLY]],
    ['a comma', 'Smith, Jane', [ONLY]],
    ['a zero-width space (U+200B)', 'Ja\u200Bne', [ONLY]],
    ['a right-to-left override (U+202E)', 'Jane\u202Eenaj', [ONLY]],
    ['a left-to-right isolate (U+2066)', '\u2066Jane', [ONLY]],
    ['a zero-width joiner (U+200D)', 'Ja\u200Dne', [ONLY]],
    ['a soft hyphen (U+00AD)', 'Ja\u00ADne', [ONLY]],
    ['a zero-width no-break space (U+FEFF)', 'Ja\uFEFFne', [ONLY]],
    ['a no-break space', 'Jane\u00A0Smith', [ONLY]],
    ['a host name', 'evil.example', ['A period must be followed by a space, except between initials as in J.R.']],
    ['a www host name', 'www.evil.com', ['A period must be followed by a space, except between initials as in J.R.']],
    ['a short host name', 't.co', ['A period must be followed by a space, except between initials as in J.R.']],
    ['a period running into a word', 'St.John', ['A period must be followed by a space, except between initials as in J.R.']],
    ['two spaces in a row', 'Mary  Ann', ['Must not contain two spaces in a row']],
    ['no letter at all', "-'.", ['Must contain a letter']],
  ])('%s is refused', (_name, name, expected) => {
    expect(errorsFor(set(path, name))).toEqual({ [path]: expected });
  });
});

describe('the resend request checks its email by the same rules', () => {
  it.each([
    [`jane@${text(63)}.com`, undefined],
    [`jane@${text(64)}.com`, ['Each part of the domain after the @ must be at most 63 characters']],
    [`${text(65)}@email.com`, ['The part before the @ must be at most 64 characters']],
  ])('%s', (email, expected) => {
    try {
      validateResendVerification({ email });
      expect(expected).toBeUndefined();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      expect(error.errors).toEqual({ email: expected });
    }
  });
});

// Age on the clock's day in UTC: at least 13 (the 13th birthday itself counts), born at most 150 years ago.
describe('the age rule, on the day of the injected clock', () => {
  const TOO_YOUNG = 'Must be at least 13 years old';
  const NOT_PAST = 'Date of birth must be in the past';
  const TOO_OLD = 'Date of birth must be within the last 150 years';
  it.each([
    ['the 13th birthday is today', '2026-06-15T12:00:00Z', '2013-06-15', 'valid'],
    ['the 13th birthday is tomorrow', '2026-06-15T12:00:00Z', '2013-06-16', TOO_YOUNG],
    ['the 13th birthday was yesterday', '2026-06-15T12:00:00Z', '2013-06-14', 'valid'],
    ['born today', '2026-06-15T12:00:00Z', '2026-06-15', NOT_PAST],
    ['born tomorrow', '2026-06-15T12:00:00Z', '2026-06-16', NOT_PAST],
    ['born exactly 150 years ago', '2026-06-15T12:00:00Z', '1876-06-15', 'valid'],
    ['born 150 years and a day ago', '2026-06-15T12:00:00Z', '1876-06-14', TOO_OLD],
    ['the 13th birthday at the turn of the year, a day early', '2025-12-31T23:59:59Z', '2013-01-01', TOO_YOUNG],
    ['the 13th birthday at the turn of the year', '2026-01-01T00:00:00Z', '2013-01-01', 'valid'],
    // A 29 February birthday falls on 1 March in a year without one.
    ['born 29 February, the 28th of its 13th year', '2021-02-28T12:00:00Z', '2008-02-29', TOO_YOUNG],
    ['born 29 February, the 1st of March of its 13th year', '2021-03-01T12:00:00Z', '2008-02-29', 'valid'],
    ['born 29 February, 13 years on, in a leap year', '2024-02-29T12:00:00Z', '2011-02-28', 'valid'],
    ['born 1 March, on 29 February of its 13th year', '2024-02-29T12:00:00Z', '2011-03-01', TOO_YOUNG],
    ['born 29 February 150 years before a 28 February', '2026-02-28T12:00:00Z', '1876-02-29', 'valid'],
    ['born 28 February 150 years before a 1 March', '2026-03-01T12:00:00Z', '1876-02-28', TOO_OLD],
    // "Today" is the clock's instant as a UTC day, whatever its offset.
    ['the 13th birthday, late evening west of UTC (already the day in UTC)', '2026-06-14T23:30:00-02:00', '2013-06-15', 'valid'],
    ['the 13th birthday, early morning east of UTC (still the day before in UTC)', '2026-06-15T01:00:00+02:00', '2013-06-15', TOO_YOUNG],
    // The spec's own example, judged on clocks far from now: only an injected clock can say these.
    ['the spec example in the year 2000', '2000-01-01T00:00:00Z', SPEC_EXAMPLE.date_of_birth, TOO_YOUNG],
    ['the spec example in the year 2141', '2141-01-01T00:00:00Z', SPEC_EXAMPLE.date_of_birth, TOO_OLD],
  ])('%s', (_name, instant, dob, expected) => {
    const errors = errorsFor(set('date_of_birth', dob), clockAt(instant));
    expect(errors).toEqual(expected === 'valid' ? {} : { date_of_birth: [expected] });
  });
});

describe('array entries are reported under their index', () => {
  it.each([
    ['entry of 501 characters', text(501), 'Must be at most 500 characters'],
    ['blank entry', '  ', 'Entry is required'],
    ['entry not a string', 7, 'Must be a string'],
  ])('%s', (_name, entry, message) => {
    expect(errorsFor(set('medical_history', ['ok', entry]))).toEqual({ 'medical_history.1': [message] });
  });
});

describe('postal code format follows address.country', () => {
  it.each([
    ['GB', 'SW1A 1AA', 'valid'],
    ['GB', 'sw1a1aa', 'valid'],
    ['GB', 'GIR 0AA', 'valid'],
    ['GB', 'GIR0AA', 'valid'],
    ['GB', 'gir 0aa', 'valid'],
    ['GB', 'GIR  0AA', 'Must be a valid postal code for GB'],
    ['GB', 'GIR 0AB', 'Must be a valid postal code for GB'],
    ['GB', 'GIR', 'Must be a valid postal code for GB'],
    ['GB', '02101', 'Must be a valid postal code for GB'],
    ['US', 'GIR 0AA', 'Must be a valid US ZIP code (12345 or 12345-6789)'],
    ['DE', '10115', 'valid'],
    ['CA', 'K1A 0B1', 'valid'],
    ['CA', '02101', 'Must be a valid postal code for CA'],
  ])('%s %s', (country, zip, expected) => {
    const errors = errorsFor((b) => Object.assign(b.address, { country, zip }));
    expect(errors).toEqual(expected === 'valid' ? {} : { 'address.zip': [expected] });
  });
});

describe('password rules: each missing class has its own message', () => {
  const pw = (password: string) => errorsFor((b) => Object.assign(b, { password, confirm_password: password })).password;
  it.each([
    ['exactly 8 characters with every class', 'Abcdef1!', undefined],
    ['7 characters', 'Abcde1!', ['Password must contain at least 8 characters']],
    ['no uppercase', 'securepassword123!', ['Password must contain an uppercase letter']],
    ['no lowercase', 'SECUREPASSWORD123!', ['Password must contain a lowercase letter']],
    ['no digit', 'SecurePassword!!', ['Password must contain a number']],
    ['no special character', 'SecurePassword123', ['Password must contain a special character']],
    ['only lowercase letters', 'abc', [
      'Password must contain at least 8 characters',
      'Password must contain an uppercase letter',
      'Password must contain a number',
      'Password must contain a special character',
    ]],
    ['72 bytes', `Aa1!${'é'.repeat(34)}`, undefined],
    ['73 bytes (bcrypt reads only 72)', `Aa1!x${'é'.repeat(34)}`, ['Password must be at most 72 bytes long']],
    ['a common password with its substitutions', 'P@ssw0rd', ['Password is too common; choose a less predictable one']],
    ['a common word with digits and symbols around it', 'Password123!', ['Password is too common; choose a less predictable one']],
    ['a common word in another case', 'Sunshine#2024', ['Password is too common; choose a less predictable one']],
    ['surrounding spaces are kept, not trimmed', ' Abcdef1! ', undefined],
  ])('%s', (_name, password, expected) => {
    expect(pw(password)).toEqual(expected);
  });

  it('confirm_password must match', () => {
    expect(errorsFor(set('confirm_password', 'SecurePassword123?'))).toEqual({ confirm_password: ['Passwords do not match'] });
  });

  it('confirm_password is required', () => {
    expect(errorsFor(set('confirm_password', undefined))).toEqual({ confirm_password: ['Confirm password is required'] });
  });
});

describe('fields the server owns cannot be set by the client', () => {
  it.each(['id', 'patient_id', 'password_hash', 'email_verified', 'phone_verified', 'is_active', 'created_at', 'updated_at'])('%s', (field) => {
    expect(errorsFor(set(field, true))).toEqual({ [field]: ['Cannot be set by the client'] });
  });
});

describe('the error envelope', () => {
  it('lists every failing field at once, nested ones under dotted keys', () => {
    const errors = errorsFor((b) => {
      b.email = 'nope';
      b.password = 'short';
      b.address.zip = '1';
      b.emergency_contact.phone = '12';
      b.__proto__extra = 1;
    });
    expect(Object.keys(errors).sort()).toEqual(['__proto__extra', 'address.zip', 'confirm_password', 'email', 'emergency_contact.phone', 'password']);
  });

  it('keeps a "__proto__" key an ordinary unknown field', () => {
    const body = JSON.parse(`{"__proto__": {"isAdmin": true}, ${JSON.stringify(SPEC_EXAMPLE).slice(1)}`);
    expect(() => validateRegistration(body, clock)).toThrow(ValidationError);
    try {
      validateRegistration(body, clock);
    } catch (error) {
      expect((error as ValidationError).errors).toEqual(JSON.parse('{"__proto__": ["Unknown field"]}'));
    }
  });

  it.each([[null], [[]], ['text'], [42]])('refuses a body that is not an object (%j)', (body) => {
    expect(() => validateRegistration(body, clock)).toThrow(ValidationError);
    try {
      validateRegistration(body, clock);
    } catch (error) {
      expect((error as ValidationError).errors).toEqual({ body: ['Request body must be a JSON object'] });
    }
  });

  it('does not coerce types', () => {
    expect(errorsFor(set('address.zip', 2101))).toEqual({ 'address.zip': ['Must be a string'] });
  });
});
