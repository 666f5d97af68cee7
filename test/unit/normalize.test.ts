import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString as parseWithMetadata, type MetadataJson } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { unpackJson } from '../../lib/compact-data.js';
import { normalizeEmail, normalizePhone, trimStrings } from '../../lib/patient/normalize.js';
import { PHONE_METADATA } from '../../lib/patient/phone-metadata.js';
import { PACKAGE_METADATA } from '../../lib/tools/generate-phone-metadata.js';

describe('normalizeEmail', () => {
  it.each([
    ['Jane.Smith@Email.COM', 'jane.smith@email.com'],
    ['  jane@email.com ', 'jane@email.com'],
    ['jane@email.com', 'jane@email.com'],
  ])('%j → %j', (input, expected) => expect(normalizeEmail(input)).toBe(expected));
});

describe('the packed phone metadata', () => {
  it('is the installed libphonenumber-js min metadata (run `npx tsx lib/tools/generate-phone-metadata.ts` when this fails)', () => {
    expect(unpackJson(PHONE_METADATA)).toEqual(PACKAGE_METADATA);
  });

  it('parses as the package\'s own min entry does', () => {
    const metadata = unpackJson<MetadataJson>(PHONE_METADATA);
    for (const phone of ['+1 415 555 2671', '+44 20 7946 0958', '+39 06 6982 0000', '+49 30 901820', '+81 3-1234-5678', '+1234567890', '+999 1234567']) {
      const ours = parseWithMetadata(phone, metadata);
      const theirs = parsePhoneNumberFromString(phone);
      expect([ours?.number, ours?.isValid()], phone).toEqual([theirs?.number, theirs?.isValid()]);
    }
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+1234567890', '+1234567890'],
    ['+1 (234) 567-890', '+1234567890'],
    ['+1.234.567.890', '+1234567890'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+12345678', '+12345678'],
    ['+123456789012345', '+123456789012345'],
  ])('%j → %j', (input, expected) => expect(normalizePhone(input)).toBe(expected));

  it.each([
    '1234567890', // no country code
    '+0234567890', // no country code starts with 0
    '+1234567', // too short for E.164
    '+1234567890123456', // too long for E.164
    '+1-800-FLOWERS', // letters
    '+1 234 567 8900 ext 5', // an extension would be dropped silently
    '+999 123456789', // no country has calling code 999
    '+１２３４５６７８９０', // fullwidth digits
  ])('%j is not E.164', (input) => {
    expect(normalizePhone(input)).toBeUndefined();
  });

  // The ways people write one number must give one stored number, or it can register twice.
  describe.each([
    ['a London number', '+442079460958', ['+44 20 7946 0958', '+44 (0)20 7946 0958', '+44(0)2079460958', '+44 (0) 20 7946 0958', '+44 020 7946 0958', '+44-20-7946-0958', '+44.20.7946.0958', '+44 (20) 7946 0958']],
    ['a Berlin number', '+4930123456', ['+49 30 123456', '+49 (0)30 123456', '+49 (0)30 12 34 56', '+49-30-123456', '+49.30.123456', '+49 030 123456']],
    ['a Paris number', '+33123456789', ['+33 1 23 45 67 89', '+33 (0)1 23 45 67 89', '+33 01 23 45 67 89', '+33.1.23.45.67.89']],
    ['a Zurich number', '+41446681800', ['+41 44 668 18 00', '+41 (0)44 668 18 00']],
    ['a Sydney number', '+61298765432', ['+61 2 9876 5432', '+61 (0)2 9876 5432']],
    ['a GB number the plan calls invalid', '+4412345678', ['+44 1234 5678', '+44 (0)1234 5678']],
    ['a Moscow number (trunk prefix 8, written (0) anyway)', '+74951234567', ['+7 495 123-45-67', '+7 (0)495 123 45 67']],
    // Italy keeps its leading 0 in international form: a "(0)" there is part of the number.
    ['a Rome number', '+390612345678', ['+39 06 1234 5678', '+39 (0)6 1234 5678', '+39 06-1234-5678']],
    ['the spec example', '+1234567890', ['+1234567890', '+1 234 567 890', '+1 (0)234 567 890', '+1-234-567-890']],
  ])('%s', (_name, e164, variants) => {
    it.each(variants)('%j → ' + e164, (variant) => expect(normalizePhone(variant)).toBe(e164));
  });
});

describe('trimStrings', () => {
  it('trims nested strings but never passwords', () => {
    expect(trimStrings({ a: ' x ', password: ' p ', confirm_password: ' p ', nested: { b: [' y '] } })).toEqual({
      a: 'x',
      password: ' p ',
      confirm_password: ' p ',
      nested: { b: ['y'] },
    });
  });

  it('leaves values deeper than the schema untouched', () => {
    const deep = { a: { b: { c: { d: { e: ' x ' } } } } };
    expect(trimStrings(deep)).toEqual(deep);
  });

  it('does not let a "__proto__" key change the prototype', () => {
    const copy = trimStrings(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(copy)).toEqual(['__proto__']);
  });
});
