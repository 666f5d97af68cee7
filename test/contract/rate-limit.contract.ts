import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../lib/rate-limit/ports.js';

export interface RateLimitContext {
  rateLimiter: () => RateLimiter;
}

const START = new Date('2025-06-01T12:59:00.000Z'); // one minute before a clock hour ends
const at = (offsetMs: number) => new Date(START.getTime() + offsetMs);
const newKey = () => `slide-${randomBytes(6).toString('hex')}`;

/** Sliding windows (issue 19 item 17): what every store's RateLimiter.slide must do. */
export function describeRateLimitContract(ctx: RateLimitContext): void {
  describe('sliding rate limits', () => {
    const rule = { limit: 3, windowSeconds: 3600 };

    it('no clock-hour boundary doubles the limit: 3 hits before it, none right after, one when the first is an hour old', async () => {
      const key = newKey();
      for (const second of [0, 10, 20]) expect(await ctx.rateLimiter().slide(key, rule, at(second * 1000))).toEqual({ allowed: true });
      // 12:59:30 and 13:00:30: a fixed clock-hour window would allow 3 more here.
      expect(await ctx.rateLimiter().slide(key, rule, at(30_000))).toEqual({ allowed: false, retryAfterSeconds: 3570 });
      expect(await ctx.rateLimiter().slide(key, rule, at(90_000))).toEqual({ allowed: false, retryAfterSeconds: 3510 });
      expect(await ctx.rateLimiter().slide(key, rule, at(3_599_999))).toEqual({ allowed: false, retryAfterSeconds: 1 });
      expect(await ctx.rateLimiter().slide(key, rule, at(3_600_000))).toEqual({ allowed: true });
      // The window now holds the hits at 10 s, 20 s and 3600 s: the next one frees at 3610 s.
      expect(await ctx.rateLimiter().slide(key, rule, at(3_605_000))).toEqual({ allowed: false, retryAfterSeconds: 5 });
    });

    it('a refused hit is not recorded: it does not push the next admission back', async () => {
      const key = newKey();
      const small = { limit: 1, windowSeconds: 60 };
      expect(await ctx.rateLimiter().slide(key, small, at(0))).toEqual({ allowed: true });
      expect(await ctx.rateLimiter().slide(key, small, at(59_000))).toEqual({ allowed: false, retryAfterSeconds: 1 });
      expect(await ctx.rateLimiter().slide(key, small, at(60_000))).toEqual({ allowed: true });
    });

    it('keys are independent', async () => {
      const [a, b] = [newKey(), newKey()];
      const one = { limit: 1, windowSeconds: 60 };
      expect(await ctx.rateLimiter().slide(a, one, at(0))).toEqual({ allowed: true });
      expect(await ctx.rateLimiter().slide(b, one, at(0))).toEqual({ allowed: true });
    });

    it('counts concurrent hits exactly: 10 at once against a limit of 3 let 3 through, on a new key and on a used one', async () => {
      const key = newKey();
      const first = await Promise.all(Array.from({ length: 10 }, () => ctx.rateLimiter().slide(key, rule, at(0))));
      expect(first.filter((d) => d.allowed)).toHaveLength(3);
      const later = await Promise.all(Array.from({ length: 10 }, () => ctx.rateLimiter().slide(key, rule, at(3_600_000))));
      expect(later.filter((d) => d.allowed)).toHaveLength(3);
    });
  });

  describe('text budgets (fixed UTC days, conditional counters)', () => {
    const budget = { limit: 5, windowSeconds: 86_400 };

    it('20 concurrent texts against a day\'s budget of 5 send exactly 5; the refusals wait for UTC midnight; the next day starts afresh', async () => {
      const key = `sms-budget#service#${newKey()}`;
      const evening = new Date('2025-06-01T22:00:00.000Z');
      const decisions = await Promise.all(Array.from({ length: 20 }, () => ctx.rateLimiter().hit(key, budget, evening)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      expect(decisions.find((d) => !d.allowed)).toEqual({ allowed: false, retryAfterSeconds: 2 * 3600 });
      expect(await ctx.rateLimiter().hit(key, budget, new Date('2025-06-01T23:59:59.000Z'))).toEqual({ allowed: false, retryAfterSeconds: 1 });
      expect(await ctx.rateLimiter().hit(key, budget, new Date('2025-06-02T00:00:00.000Z'))).toEqual({ allowed: true });
    });
  });
}
