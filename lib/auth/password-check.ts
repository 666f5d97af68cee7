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
}

/**
 * `correct` carries the hash now stored (a re-hash may have replaced it), which device tokens are
 * bound to. A wrong password was counted before bcrypt ran; from the locking count on, its lock is
 * moved to run from the answer.
 */
export type PasswordCheck = { outcome: 'correct'; passwordHash: string } | { outcome: 'wrong' } | { outcome: 'locked'; retryAfterSeconds: number };

/**
 * A password presented for a known patient under a throttle: the attempt is reserved first (one
 * conditional write that refuses it while the subject is locked, otherwise counts it), so bcrypt never
 * runs for a guess the lock refuses, however many arrive at once. A success clears the count and
 * brings a hash made at a lower cost up to the configured one.
 */
export async function checkPassword(patient: PatientCredentials, password: string, deps: PasswordCheckDeps, throttle: Throttle): Promise<PasswordCheck> {
  const attempt = await deps.attempts.reserve(throttle.subject, deps.clock.now(), throttle.schedule);
  if (attempt.locked) return { outcome: 'locked', retryAfterSeconds: attempt.retryAfterSeconds };
  if (!(await deps.hasher.compare(password, patient.password_hash))) {
    await attempt.failed(deps.clock.now());
    return { outcome: 'wrong' };
  }
  await attempt.succeeded();
  const passwordHash = deps.hasher.needsRehash(patient.password_hash) ? await rehash(patient, password, deps) : patient.password_hash;
  return { outcome: 'correct', passwordHash };
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
