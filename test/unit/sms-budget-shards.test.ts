import { describe, expect, it } from 'vitest';
import { SmsBudgetExhaustedError } from '../../lib/errors.js';
import { budgetShards, spendSmsBudget, type SmsBudgets } from '../../lib/phone/sms-budget.js';
import type { RateLimiter } from '../../lib/rate-limit/ports.js';
import { createInMemoryRateLimiter } from '../support/fakes/in-memory-rate-limiter.js';

/**
 * Issue 23: the service-wide text budget was one counter, so one partition (~1,000 writes a second)
 * for every text of the service. Split into SMS_BUDGET_SHARDS counters with a slice of the budget
 * each, the counters a text writes vary, the slices add up to the budget exactly, and the texts sent
 * never exceed it (the trade: near its end the budget may refuse a little early).
 */
const NOW = new Date('2026-06-01T12:00:00.000Z');
const US = '+12025550123';

/** The in-memory limiter, recording each key a text spent from. */
function recordingLimiter(): { limiter: RateLimiter; keys: string[] } {
  const inner = createInMemoryRateLimiter();
  const keys: string[] = [];
  return { keys, limiter: { ...inner, hit: (key, rule, now) => (keys.push(key), inner.hit(key, rule, now)) } };
}

async function send(limiter: RateLimiter, budgets: SmsBudgets): Promise<boolean> {
  try {
    await spendSmsBudget(limiter, US, budgets, NOW);
    return true;
  } catch (error) {
    if (error instanceof SmsBudgetExhaustedError) return false;
    throw error;
  }
}

describe('the counters of a text budget (budgetShards)', () => {
  it('one shard is the budget\'s own counter, as before sharding', () => {
    expect(budgetShards('sms-budget#service', 5000, 1)).toEqual([{ key: 'sms-budget#service', limit: 5000 }]);
  });

  it.each([[1, 16], [2, 16], [15, 16], [16, 16], [17, 16], [2000, 16], [5000, 16], [100, 3], [7, 256]])(
    'a budget of %i over %i shards: distinct counters whose slices add up to it exactly, none empty',
    (limit, shards) => {
      const counters = budgetShards('sms-budget#service', limit, shards);
      expect(counters.reduce((sum, c) => sum + c.limit, 0)).toBe(limit);
      expect(new Set(counters.map((c) => c.key)).size).toBe(Math.min(limit, shards));
      for (const c of counters) {
        expect(c.key).toMatch(/^sms-budget#service#\d+$/);
        expect(c.limit).toBeGreaterThanOrEqual(1);
      }
      // Even: no slice more than one text larger than another.
      expect(Math.max(...counters.map((c) => c.limit)) - Math.min(...counters.map((c) => c.limit))).toBeLessThanOrEqual(1);
    },
  );
});

describe('texts spent from a sharded budget', () => {
  it('write no constant key: the service\'s and the country\'s counters each spread over the shards', async () => {
    const { limiter, keys } = recordingLimiter();
    const budgets = { daily: 100_000, countryDaily: 100_000, countries: {}, shards: 16 };
    for (let i = 0; i < 400; i++) expect(await send(limiter, budgets)).toBe(true);
    const service = new Set(keys.filter((k) => k.startsWith('sms-budget#service')));
    const country = new Set(keys.filter((k) => k.startsWith('sms-budget#country#US')));
    // 25 texts a shard expected: a shard missed by 400 draws has probability 16·(15/16)^400 (1e-10).
    expect(service.size).toBe(16);
    expect(country.size).toBe(16);
    expect(keys).not.toContain('sms-budget#service');
  });

  it('never send more than the budget, and send all of it once enough texts are asked for', async () => {
    const { limiter } = recordingLimiter();
    const budgets = { daily: 10, countryDaily: 1000, countries: {}, shards: 4 };
    let sent = 0;
    // A shard still holding a text is reached by a request with probability ≥ 1/4: 60 requests miss it with (3/4)^60.
    for (let i = 0; i < 60; i++) if (await send(limiter, budgets)) sent++;
    expect(sent).toBe(10);
  });

  it('parallel texts against a sharded budget never exceed it', async () => {
    const { limiter } = recordingLimiter();
    const budgets = { daily: 10, countryDaily: 1000, countries: {}, shards: 4 };
    const answers = await Promise.all(Array.from({ length: 40 }, () => send(limiter, budgets)));
    expect(answers.filter(Boolean).length).toBeLessThanOrEqual(10);
    expect(answers.filter(Boolean).length).toBeGreaterThan(0);
  });

  it('a per-country budget of 0 still sends nothing there, sharded or not', async () => {
    const { limiter, keys } = recordingLimiter();
    expect(await send(limiter, { daily: 100, countryDaily: 100, countries: { US: 0 }, shards: 8 })).toBe(false);
    expect(keys).toEqual([]);
  });
});
