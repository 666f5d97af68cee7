import type { FailureCount, LoginFailureCounter } from './session-ports.js';

/** The first failure that locks the account for a moment. */
export const FIRST_LOCKING_FAILURE = 5;
export const FIRST_LOCK_SECONDS = 1;
export const MAX_LOCK_SECONDS = 15 * 60;
/** NIST SP 800-63B-4 caps consecutive failures at 100; past it the count stops, the lock still ends. */
export const MAX_COUNTED_FAILURES = 100;

export type LockDecision = { locked: false } | { locked: true; retryAfterSeconds: number };

/** Lock length after `failures` consecutive failures: 1 s at the 5th, doubling, capped at 15 min. */
export function lockSeconds(failures: number): number {
  if (failures < FIRST_LOCKING_FAILURE) return 0;
  const doublings = Math.min(failures, MAX_COUNTED_FAILURES) - FIRST_LOCKING_FAILURE;
  // 2^10 s already exceeds the cap: stop doubling before the number grows (2^95 is not a useful duration).
  return Math.min(FIRST_LOCK_SECONDS * 2 ** Math.min(doublings, 10), MAX_LOCK_SECONDS);
}

/**
 * Whether a sign-in must wait: locked until lastFailureAt + lockSeconds(failures). Every lock ends
 * at most 15 minutes after the latest failure, so an attacker can delay but never lock out a patient.
 */
export function lockDecision({ failures, lastFailureAt }: FailureCount, now: Date): LockDecision {
  const seconds = lockSeconds(failures);
  if (seconds === 0 || !lastFailureAt) return { locked: false };
  const remainingMs = lastFailureAt.getTime() + seconds * 1000 - now.getTime();
  return remainingMs > 0 ? { locked: true, retryAfterSeconds: Math.ceil(remainingMs / 1000) } : { locked: false };
}

export interface LoginAttempts {
  check(patientId: string, now: Date): Promise<LockDecision>;
  /** Counts the failure and tells whether the next attempt must wait. */
  recordFailure(patientId: string, now: Date): Promise<LockDecision>;
  recordSuccess(patientId: string): Promise<void>;
}

/** The lock policy over any store's counter: stores only count, the rules live here once. */
export function createLoginAttempts(counter: LoginFailureCounter): LoginAttempts {
  return {
    check: async (patientId, now) => lockDecision(await counter.read(patientId), now),
    recordFailure: async (patientId, now) => lockDecision(await counter.recordFailure(patientId, now, MAX_COUNTED_FAILURES), now),
    recordSuccess: (patientId) => counter.reset(patientId),
  };
}
