import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizePhone } from '../../lib/patient/normalize.js';

const e164 = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 14 }))
  .map(([first, rest]) => `+${first}${rest.join('')}`);
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

  it('phone normalization is idempotent and formatting variants collide', () => {
    fc.assert(fc.property(e164, fc.array(separators, { maxLength: 16 }), (phone, seps) => {
      const normal = normalizePhone(formatted(phone, seps));
      expect(normal).toBe(phone);
      expect(normalizePhone(normal!)).toBe(normal);
    }), { numRuns: 2000 });
  });

  it('anything normalizePhone accepts is E.164', () => {
    fc.assert(fc.property(fc.string({ maxLength: 24 }), (s) => {
      const normal = normalizePhone(s);
      if (normal !== undefined) expect(normal).toMatch(/^\+[1-9]\d{7,14}$/);
    }), { numRuns: 2000 });
  });
});
