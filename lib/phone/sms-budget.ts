import { randomInt } from 'node:crypto';
import { SmsBudgetExhaustedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { RateLimiter } from '../rate-limit/ports.js';
import { phoneCountryOf } from './phone-country.js';

/** Stage settings (lib/config.ts: SMS_DAILY_BUDGET, SMS_COUNTRY_DAILY_BUDGET, SMS_COUNTRY_BUDGETS, SMS_BUDGET_SHARDS). */
export interface SmsBudgets {
  /** Texts the whole service may send per UTC day. */
  daily: number;
  /** Texts per destination country per UTC day, unless `countries` names the country. */
  countryDaily: number;
  /** Per-country exceptions; 0 sends nothing to that country. */
  countries: Readonly<Record<string, number>>;
  /** Counters each budget is split over (budgetShards); 1 (one counter a budget) when absent. */
  shards?: number;
}

const DAY_SECONDS = 86_400;
/** The line the budget alarms count (infra/constructs/service-alarms.ts): keep the message and `budget`. */
export const SMS_BUDGET_EXHAUSTED = 'sms budget exhausted';

/**
 * Spends one text of today's budgets on a text to `to`, or refuses it (SmsBudgetExhaustedError, 429)
 * and logs the refusal for the alarms. Each budget is kept in conditional counters the store decides
 * (RateLimiter.hit, a fixed UTC day: a budget caps a bill, it guards no secret), split into shards
 * (budgetShards). The country's is spent first, so a refused country never spends the service's; when
 * the service's then refuses, the country's unit stays spent, which only errs on the side of sending less.
 */
export async function spendSmsBudget(rateLimiter: RateLimiter, to: string, budgets: SmsBudgets, now: Date): Promise<void> {
  const country = phoneCountryOf(to);
  const countryLimit = budgets.countries[country] ?? budgets.countryDaily;
  const refuse = (budget: 'service' | 'country', retryAfterSeconds: number) => {
    // Not the country: it is derived from a patient's number (the counters name it: RATE#sms-budget#country#…).
    logger.warn(SMS_BUDGET_EXHAUSTED, { budget });
    return new SmsBudgetExhaustedError(budget, retryAfterSeconds);
  };
  if (countryLimit < 1) throw refuse('country', secondsToMidnight(now));
  const shards = budgets.shards ?? 1;
  const byCountry = await spendOne(rateLimiter, budgetShards(`sms-budget#country#${country}`, countryLimit, shards), now);
  if (!byCountry.allowed) throw refuse('country', byCountry.retryAfterSeconds);
  const overall = await spendOne(rateLimiter, budgetShards('sms-budget#service', budgets.daily, shards), now);
  if (!overall.allowed) throw refuse('service', overall.retryAfterSeconds);
}

/** One counter of a budget: its rate-limit key and the slice of the day's budget it may count. */
export interface BudgetShard {
  key: string;
  limit: number;
}

/**
 * A budget split into `shards` counters (issue 23: one counter is one partition, ~1,000 writes a
 * second, for every text of the service): `<budget>#<i>`, each with a slice of the budget, the slices
 * summing to it exactly. So the texts sent never exceed the budget, and each text is still one
 * conditional write the store decides. Shards whose slice would be 0 (a budget below the shard count)
 * are left out. One shard is the budget's own key, as before sharding.
 */
export function budgetShards(budget: string, limit: number, shards: number): BudgetShard[] {
  if (shards <= 1) return [{ key: budget, limit }];
  const used = Math.min(shards, limit);
  return Array.from({ length: used }, (_, i) => ({ key: `${budget}#${i}`, limit: Math.floor(limit / shards) + (i < limit % shards ? 1 : 0) }));
}

/**
 * Spends from a random shard, and from the next one if that one's slice is spent: the trade of a
 * per-shard slice is that the budget may refuse a text while other shards still have a little left
 * (near the end of a day's budget, never before), erring on the side of sending less, at most two
 * writes a text.
 */
async function spendOne(rateLimiter: RateLimiter, shards: BudgetShard[], now: Date) {
  const first = randomInt(shards.length);
  let result = await rateLimiter.hit(shards[first]!.key, { limit: shards[first]!.limit, windowSeconds: DAY_SECONDS }, now);
  if (!result.allowed && shards.length > 1) {
    const next = shards[(first + 1) % shards.length]!;
    result = await rateLimiter.hit(next.key, { limit: next.limit, windowSeconds: DAY_SECONDS }, now);
  }
  return result;
}

const secondsToMidnight = (now: Date) => DAY_SECONDS - (Math.floor(now.getTime() / 1000) % DAY_SECONDS);
