import { SmsBudgetExhaustedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { RateLimiter } from '../rate-limit/ports.js';
import { phoneCountryOf } from './phone-country.js';

/** Stage settings (lib/config.ts: SMS_DAILY_BUDGET, SMS_COUNTRY_DAILY_BUDGET, SMS_COUNTRY_BUDGETS). */
export interface SmsBudgets {
  /** Texts the whole service may send per UTC day. */
  daily: number;
  /** Texts per destination country per UTC day, unless `countries` names the country. */
  countryDaily: number;
  /** Per-country exceptions; 0 sends nothing to that country. */
  countries: Readonly<Record<string, number>>;
}

const DAY_SECONDS = 86_400;
/** The line the budget alarms count (infra/constructs/service-alarms.ts): keep the message and `budget`. */
export const SMS_BUDGET_EXHAUSTED = 'sms budget exhausted';

/**
 * Spends one text of today's budgets on a text to `to`, or refuses it (SmsBudgetExhaustedError, 429)
 * and logs the refusal for the alarms. Each budget is a conditional counter the store decides
 * (RateLimiter.hit, a fixed UTC day: a budget caps a bill, it guards no secret). The country's is
 * spent first, so a refused country never spends the service's; when the service's then refuses, the
 * country's unit stays spent, which only errs on the side of sending less.
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
  const byCountry = await rateLimiter.hit(`sms-budget#country#${country}`, { limit: countryLimit, windowSeconds: DAY_SECONDS }, now);
  if (!byCountry.allowed) throw refuse('country', byCountry.retryAfterSeconds);
  const overall = await rateLimiter.hit('sms-budget#service', { limit: budgets.daily, windowSeconds: DAY_SECONDS }, now);
  if (!overall.allowed) throw refuse('service', overall.retryAfterSeconds);
}

const secondsToMidnight = (now: Date) => DAY_SECONDS - (Math.floor(now.getTime() / 1000) % DAY_SECONDS);
