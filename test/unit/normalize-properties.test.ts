import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizePhone } from '../../lib/patient/normalize.js';

const e164 = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 14 }))
  .map(([first, rest]) => `+${first}${rest.join('')}`);
// Countries whose national numbers are dialled with a 0 trunk prefix that is dropped from abroad.
const trunkZeroCallingCode = fc.constantFrom('44', '49', '33', '31', '32', '41', '43', '61', '64', '353', '27', '81', '82', '86', '90');
const callingCode = fc.oneof(trunkZeroCallingCode, fc.constantFrom('1', '7', '39', '34', '55', '91', '234', '380'));
const national = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 9 }))
  .map(([first, rest]) => `${first}${rest.join('')}`);
const separators = fc.array(fc.constantFrom(' ', '-', '.', '(', ')'), { maxLength: 3 }).map((s) => s.join(''));

/** The same digits with separators sprinkled between them, as people type numbers. */
const formatted = (phone: string, seps: string[]) => phone.split('').map((c, i) => c + (seps[i] ?? '')).join('');

describe('normalization properties', () => {
  it('email normalization is idempotent', () => {
    fc.assert(fc.property(fc.string(), (s) => normalizeEmail(normalizeEmail(s)) === normalizeEmail(s)), { numRuns: 2000 });
  });

  it('case and padding variants of an email collide', () => {
    fc.assert(fc.property(fc.emailAddress(), fc.array(fc.boolean(), { maxLength: 64 }), fc.nat(3), (email, caps, pad) => {
      const variant = `${' '.repeat(pad)}${email.split('').map((c, i) => (caps[i] ? c.toUpperCase() : c)).join('')}${' '.repeat(pad)}`;
      expect(normalizeEmail(variant)).toBe(normalizeEmail(email));
    }), { numRuns: 2000 });
  });

  it('phone formatting variants collide, and normalizing again changes nothing', () => {
    fc.assert(fc.property(e164, fc.array(separators, { maxLength: 16 }), (phone, seps) => {
      const variant = formatted(phone, seps);
      fc.pre(!variant.includes('(0)')); // the trunk-prefix notation: its own property below
      const normal = normalizePhone(phone);
      expect(normalizePhone(variant)).toBe(normal);
      if (normal !== undefined) expect(normalizePhone(normal)).toBe(normal);
    }), { numRuns: 2000 });
  });

  it('numbers under a real country calling code are accepted, whatever the numbering plan says', () => {
    fc.assert(fc.property(callingCode, fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 11 }), (code, digits) => {
      const phone = `+${code}${digits.join('')}`.slice(0, 16);
      // Its digits are kept, except a 0 trunk prefix after the country code, which is dropped.
      expect([phone, phone.replace(`+${code}0`, `+${code}`)]).toContain(normalizePhone(phone));
    }), { numRuns: 2000 });
  });

  it('a trunk prefix written "(0)" gives the same number as leaving it out', () => {
    fc.assert(fc.property(trunkZeroCallingCode, national, fc.constantFrom('(0)', ' (0)', '(0) ', ' (0) '), (code, digits, trunk) => {
      expect(normalizePhone(`+${code}${trunk}${digits}`)).toBe(normalizePhone(`+${code} ${digits}`));
    }), { numRuns: 2000 });
  });

  it('anything normalizePhone accepts is E.164', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^\+[0-9 ()\-.]{0,20}$/)), (s) => {
      const normal = normalizePhone(s);
      if (normal !== undefined) expect(normal).toMatch(/^\+[1-9]\d{7,14}$/);
    }), { numRuns: 2000 });
  });
});
