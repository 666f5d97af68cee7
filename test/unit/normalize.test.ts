import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizePhone, trimStrings } from '../../lib/patient/normalize.js';

describe('normalizeEmail', () => {
  it.each([
    ['Jane.Smith@Email.COM', 'jane.smith@email.com'],
    ['  jane@email.com ', 'jane@email.com'],
    ['jane@email.com', 'jane@email.com'],
  ])('%j → %j', (input, expected) => expect(normalizeEmail(input)).toBe(expected));
});

describe('normalizePhone', () => {
  it.each([
    ['+1234567890', '+1234567890'],
    ['+1 (234) 567-890', '+1234567890'],
    ['+1.234.567.890', '+1234567890'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%j → %j', (input, expected) => expect(normalizePhone(input)).toBe(expected));

  it.each(['1234567890', '+0234567890', '+1234567', '+1234567890123456', '+1-800-FLOWERS'])('%j is not E.164', (input) => {
    expect(normalizePhone(input)).toBeUndefined();
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
