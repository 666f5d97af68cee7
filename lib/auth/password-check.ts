import { describeError, logger } from '../logging/logger.js';
import type { Clock, PasswordHasher, PatientCredentials, PatientRepository } from '../patient/ports.js';
import type { LoginAttempts } from './lockout-policy.js';
import type { LockSchedule } from './session-ports.js';

export interface PasswordCheckDeps {
  repository: PatientRepository;
  hasher: PasswordHasher;
  attempts: LoginAttempts;
  clock: Clock;
}

/** Whose counter an attempt is reserved on (lockout-policy.ts `attemptSubjects`), and its schedule. */
export interface Throttle {
  subject: string;
  /** ACCOUNT_SCHEDULE when absent. */
  schedule?: LockSchedule;
  /**
   * A right password leaves the count as it is (its own attempt included) when second-factor codes
   * count on this subject too: only a second factor's success may clear it then, or a known password
   * would reset the count before every few code guesses (guessing codes must cost what guessing
   * passwords costs). Ignored when `onCorrect` is given: that caller decides.
   */
  keepCount?: boolean;
}

/**
 * `correct` carries the hash now stored (a re-hash may have replaced it), which device tokens are
 * bound to, and what the caller's `onCorrect` returned. A wrong password was counted before bcrypt
 * ran; from the locking count on, its lock is moved to run from the answer.
 */
export type PasswordCheck<T = undefined> =
  | { outcome: 'correct'; passwordHash: string; onCorrect: T }
  | { outcome: 'wrong' }
  | { outcome: 'locked'; retryAfterSeconds: number };

/**
 * A password presented for a known patient under a throttle: the attempt is reserved first (one
 * conditional write that refuses it while the subject is locked, otherwise counts it), so bcrypt never
 * runs for a guess the lock refuses, however many arrive at once. A success clears the count (unless
 * `keepCount`) and brings a hash made at a lower cost up to the configured one.
 *
 * `onCorrect` (given the hash now stored, and the count's reset) is the caller's work for a right
 * password, e.g. sign-in's session start. It decides whether the count is cleared: sign-in clears it
 * alongside the session start (issue 23: store work off the critical path) unless the patient holds
 * a second factor, whose codes count on the same subject. Done before this returns.
 */
export async function checkPassword<T = undefined>(
  patient: PatientCredentials,
  password: string,
  deps: PasswordCheckDeps,
  throttle: Throttle,
  onCorrect?: (passwordHash: string, clearCount: () => Promise<void>) => Promise<T>,
): Promise<PasswordCheck<T>> {
  const attempt = await deps.attempts.reserve(throttle.subject, deps.clock.now(), throttle.schedule);
  if (attempt.locked) return { outcome: 'locked', retryAfterSeconds: attempt.retryAfterSeconds };
  if (!(await deps.hasher.compare(password, patient.password_hash))) {
    await attempt.failed(deps.clock.now());
    return { outcome: 'wrong' };
  }
  const passwordHash = deps.hasher.needsRehash(patient.password_hash) ? await rehash(patient, password, deps) : patient.password_hash;
  if (onCorrect) return { outcome: 'correct', passwordHash, onCorrect: await onCorrect(passwordHash, () => attempt.succeeded()) };
  if (!throttle.keepCount) await attempt.succeeded();
  return { outcome: 'correct', passwordHash, onCorrect: undefined as T };
}

/** Best effort: the patient is signed in either way, and the next sign-in tries again. */
async function rehash(patient: PatientCredentials, password: string, deps: PasswordCheckDeps): Promise<string> {
  try {
    const next = await deps.hasher.hash(password);
    const replaced = await deps.repository.replacePasswordHash(patient.id, patient.password_hash, next, deps.clock.now());
    logger.info('password re-hashed at the configured cost', { patientId: patient.id, outcome: replaced ? 'replaced' : 'changed meanwhile' });
    return replaced ? next : patient.password_hash;
  } catch (error) {
    logger.warn('password re-hash failed', { patientId: patient.id, ...describeError(error) });
    return patient.password_hash;
  }
}
