import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { SCRIPT_NAMES_FOR_TESTS, scriptsOf } from '../../lib/patient/keywords/scripts.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { createFixedClock } from '../support/fakes/index.js';
import { SPEC_EXAMPLE } from '../support/requests.js';

const MIXED = 'Must be written in one script: letters of different alphabets (such as Latin and Cyrillic) cannot be mixed';
const clock = createFixedClock();

function register(overrides: Record<string, unknown>) {
  try {
    return { accepted: validateRegistration({ ...SPEC_EXAMPLE, ...overrides }, clock) };
  } catch (error) {
    if (error instanceof ValidationError) return { errors: error.errors };
    throw error;
  }
}

describe('names: NFKC-normalized, one script (UTS #39 Highly Restrictive)', () => {
  it('the spec\'s example registers as it is: "Jane" "Smith", emergency contact "John Smith"', () => {
    const { accepted } = register({});
    expect(accepted).toMatchObject({ first_name: 'Jane', last_name: 'Smith', emergency_contact: { name: 'John Smith' } });
  });

  it.each([
    ['accents', 'José', 'Müller-Lüdenscheidt'],
    ['an apostrophe and a typographic one', "O'Brien", 'D’Angelo'],
    ['hyphens and initials', 'Anne-Marie', 'J.R. Smith'],
    ['Cyrillic only', 'Иван', 'Петров'],
    ['Greek only', 'Ζωή', 'Παπαδοπούλου'],
    ['Han (Chinese)', '伟明', '王芳'],
    ['Japanese: kanji with kana', 'さくら', '山田 たろう'],
    ['Korean: hangul with hanja', '민준', '金 민준'],
    ['Arabic', 'محمد', 'العلي'],
    ['Devanagari', 'अर्जुन', 'शर्मा'],
    ['Latin beside Han (Highly Restrictive allows it)', 'Mary 美', 'Lee'],
    ['combining marks on Latin (decomposed é)', 'Jose\u0301', 'Nguyễn'],
  ])('accepts real names: %s', (_case, first_name, last_name) => {
    expect(register({ first_name, last_name }).errors).toBeUndefined();
  });

  it.each([
    ['a Lisu look-alike period (U+A4F8)', 'Jane ꓸ'],
    ['a Cyrillic а inside Latin', 'J\u0430ne'],
    ['a Greek ο inside Latin', 'J\u03bfhn'],
    ['Latin and Cyrillic words', 'Ivan Иван'],
    ['Latin and Armenian', 'Jane Հ'],
  ])('refuses a name mixing scripts with a clear message: %s', (_case, first_name) => {
    expect(register({ first_name }).errors).toEqual({ first_name: [MIXED] });
  });

  it('refuses a mixed-script emergency contact name too', () => {
    expect(register({ emergency_contact: { name: 'John Smіth', phone: '+1234567891' } }).errors).toEqual({ 'emergency_contact.name': [MIXED] });
  });

  it.each([
    ['fullwidth letters', 'Ｊａｎｅ', 'Jane'],
    ['a ligature', 'ﬁona', 'fiona'],
    ['decomposed accents', 'Jose\u0301', 'José'],
  ])('stores the NFKC form: %s', (_case, first_name, stored) => {
    expect(register({ first_name }).accepted?.first_name).toBe(stored);
  });

  it('knows the script of every letter, mark and digit of the running Node\'s Unicode (an upgrade adding a script fails here)', () => {
    const names = new Set(SCRIPT_NAMES_FOR_TESTS);
    expect(names.size).toBe(SCRIPT_NAMES_FOR_TESTS.length);
    const unknown: string[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      if (!/[\p{L}\p{M}\p{N}]/u.test(char)) continue;
      const scripts = scriptsOf(char);
      if (scripts !== undefined && scripts.size === 0) unknown.push(cp.toString(16));
    }
    expect(unknown).toEqual([]);
  }, 60_000);
});
