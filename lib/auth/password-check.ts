import { describeError, logger } from '../logging/logger.js';
import type { Clock, PasswordHasher, PatientCredentials, PatientRepository } from '../patient/ports.js';
import type { LoginAttempts } from './lockout-policy.js';

export interface PasswordCheckDeps {
  repository: PatientRepository;
  hasher: PasswordHasher;
  attempts: LoginAttempts;
  clock: Clock;
}

/**
 * `wrong` carries the failure being counted, still in flight: the caller awaits it together with its
 * audit write, so a wrong password costs the store one round trip more than an unknown email, not two.
 */
export type PasswordCheck = { outcome: 'correct' } | { outcome: 'wrong'; counted: Promise<unknown> } | { outcome: 'locked'; retryAfterSeconds: number };

/**
 * A password presented for a known patient (sign-in, or the verification form), under the lock
 * policy: a locked account is refused before bcrypt runs; a failure counts; a success resets the
 * count and brings a hash made at a lower cost up to the configured one.
 */
export async function checkPassword(patient: PatientCredentials, password: string, deps: PasswordCheckDeps): Promise<PasswordCheck> {
  const lock = await deps.attempts.check(patient.id, deps.clock.now());
  if (lock.locked) return { outcome: 'locked', retryAfterSeconds: lock.retryAfterSeconds };
  if (!(await deps.hasher.compare(password, patient.password_hash))) {
    return { outcome: 'wrong', counted: deps.attempts.recordFailure(patient.id, deps.clock.now()) };
  }
  await deps.attempts.recordSuccess(patient.id);
  if (deps.hasher.needsRehash(patient.password_hash)) await rehash(patient, password, deps);
  return { outcome: 'correct' };
}

/** Best effort: the patient is signed in either way, and the next sign-in tries again. */
async function rehash(patient: PatientCredentials, password: string, deps: PasswordCheckDeps): Promise<void> {
  try {
    const replaced = await deps.repository.replacePasswordHash(patient.id, patient.password_hash, await deps.hasher.hash(password), deps.clock.now());
    logger.info('password re-hashed at the configured cost', { patientId: patient.id, outcome: replaced ? 'replaced' : 'changed meanwhile' });
  } catch (error) {
    logger.warn('password re-hash failed', { patientId: patient.id, ...describeError(error) });
  }
}
