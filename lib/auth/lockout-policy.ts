import type { LockSchedule, LoginFailureCounter } from './session-ports.js';

/** The first failure that locks the account for a moment. */
export const FIRST_LOCKING_FAILURE = 5;
export const FIRST_LOCK_SECONDS = 1;
export const MAX_LOCK_SECONDS = 15 * 60;
/** NIST SP 800-63B-4 caps consecutive failures at 100; past it the count stops, the lock still ends. */
export const MAX_COUNTED_FAILURES = 100;
/** Wrong passwords typed with one verification link; the next attempt finds it spent. */
export const LINK_PASSWORD_TRIES = 5;
/** Longer than a verification link lives (24 h): a spent link stays spent. */
const SPENT_LINK_SECONDS = 2 * 24 * 3600;

export type LockDecision = { locked: false } | { locked: true; retryAfterSeconds: number };

/** A reserved attempt: refused while locked, otherwise counted, to be told how it went. */
export type ReservedAttempt =
  | { locked: true; retryAfterSeconds: number }
  | {
    locked: false;
    /** The password was wrong: the lock this failure earned runs from now. */
    failed(now: Date): Promise<void>;
    /** The password was right: the subject's count starts again. */
    succeeded(): Promise<void>;
  };

/** Lock length after `failures` consecutive failures: 1 s at the 5th, doubling, capped at 15 min. */
export function lockSeconds(failures: number): number {
  if (failures < FIRST_LOCKING_FAILURE) return 0;
  const doublings = Math.min(failures, MAX_COUNTED_FAILURES) - FIRST_LOCKING_FAILURE;
  // 2^10 s already exceeds the cap: stop doubling before the number grows (2^95 is not a useful duration).
  return Math.min(FIRST_LOCK_SECONDS * 2 ** Math.min(doublings, 10), MAX_LOCK_SECONDS);
}

/**
 * Accounts (untrusted clients), known devices and sessions: locked from the 5th failure, 1 s doubling
 * to 15 min after the latest attempt. No lock is permanent.
 */
export const ACCOUNT_SCHEDULE: LockSchedule = { maxCounted: MAX_COUNTED_FAILURES, lockSeconds };

/** A verification link: 5 wrong passwords spend it (a new link can be asked for). */
export const LINK_SCHEDULE: LockSchedule = {
  maxCounted: LINK_PASSWORD_TRIES,
  lockSeconds: (failures) => (failures >= LINK_PASSWORD_TRIES ? SPENT_LINK_SECONDS : 0),
};

/**
 * Who an attempt is counted against (README "Sign-in and lockout"). Each is its own counter: a
 * device's, a link's and a session's failures never count toward the account's lock.
 */
export const attemptSubjects = {
  /** Sign-in from a client without a valid device token. */
  account: (patientId: string) => `account:${patientId}`,
  /** Sign-in with an email no account has: locks like an account, so a 429 tells nothing. */
  unknownEmail: (emailDigest: string) => `email:${emailDigest}`,
  /** Sign-in presenting a valid device token of this patient. */
  device: (patientId: string, deviceId: string) => `device:${patientId}:${deviceId}`,
  /** The password typed on a verification link's page (the token's digest names the link). */
  link: (tokenHash: string) => `link:${tokenHash}`,
  /** The current password typed into a password change, per session (or per access token without one). */
  session: (sessionId: string) => `session:${sessionId}`,
};

export interface LoginAttempts {
  /**
   * Reserves one attempt on `subject` before the password is compared: refused while the subject is
   * locked, otherwise counted as a failure at once and locked by the schedule from this moment (a
   * success clears it), so concurrent guesses cannot all pass a check that none of them has counted
   * yet. A wrong password then moves its lock to start from the answer, as a lock always did.
   */
  reserve(subject: string, now: Date, schedule?: LockSchedule): Promise<ReservedAttempt>;
  /** The mailbox proved itself (password reset): the account's lock ends. */
  recordSuccess(patientId: string): Promise<void>;
}

/** The lock policy over any store's counter: stores count and compare times, the schedules live here. */
export function createLoginAttempts(counter: LoginFailureCounter): LoginAttempts {
  return {
    async reserve(subject, now, schedule = ACCOUNT_SCHEDULE) {
      const reservation = await counter.reserve(subject, now, schedule);
      if (!reservation.reserved) {
        return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil((reservation.lockedUntil.getTime() - now.getTime()) / 1000)) };
      }
      const seconds = schedule.lockSeconds(reservation.failures);
      return {
        locked: false,
        // Below the locking count there is no lock to move: no write.
        failed: async (at) => (seconds > 0 ? counter.extendLock(subject, new Date(at.getTime() + seconds * 1000)) : undefined),
        succeeded: () => counter.reset(subject),
      };
    },
    recordSuccess: (patientId) => counter.reset(attemptSubjects.account(patientId)),
  };
}
