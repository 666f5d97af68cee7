import { SignInLockedError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import type { Clock, FieldCipher } from '../patient/ports.js';
import type { LoginAttempts } from './lockout-policy.js';
import { recoveryCodeDigests } from './recovery-codes.js';
import { matchingStep } from './totp.js';
import type { TotpFactor, TotpStore } from './totp-ports.js';

export interface SecondFactorCheckDeps {
  totp: TotpStore;
  cipher: FieldCipher;
  identifiers: IdentifierDigests;
  attempts: LoginAttempts;
  clock: Clock;
}

/** What the patient typed: a code from the app, or one of the recovery codes. */
export type SecondFactorProof = { code: string } | { recovery_code: string };

/** A validated request (exactly one of the two, lib/patient/registration-schema.ts) as the proof it is. */
export function proofOf(request: { code?: string | null; recovery_code?: string | null }): SecondFactorProof {
  return typeof request.code === 'string' ? { code: request.code } : { recovery_code: request.recovery_code ?? '' };
}

/** The secret, decrypted only for the comparison (it never leaves this function). */
async function secretOf(patientId: string, factor: TotpFactor, cipher: FieldCipher): Promise<string> {
  const { totp_secret: secret } = await cipher.decryptFields(patientId, factor.secret);
  if (typeof secret !== 'string') throw new Error('The stored authenticator secret did not decrypt to a string');
  return secret;
}

/**
 * Checks a code or a recovery code of an active factor under the lock `subject` (the same counter
 * and schedule as the password it goes with): reserved before the check, so parallel guesses are
 * counted as sequential ones are. A code is accepted within one step of drift and only once: the
 * store marks its step used in a conditional write, so a replay, or an older code, is refused. A
 * recovery code is spent by the store's conditional write. Returns which proof worked, or undefined
 * (counted as a failure); throws SignInLockedError while the subject is locked.
 */
export async function checkSecondFactor(
  patientId: string, factor: TotpFactor, proof: SecondFactorProof, subject: string, deps: SecondFactorCheckDeps,
): Promise<'code' | 'recovery_code' | undefined> {
  return underLock(subject, deps, async () => {
    if ('code' in proof) {
      const step = matchingStep(await secretOf(patientId, factor, deps.cipher), proof.code, deps.clock.now());
      return step !== undefined && (await deps.totp.useStep(patientId, factor.enrolmentId, step)) ? 'code' : undefined;
    }
    return (await deps.totp.useRecoveryCode(patientId, await recoveryCodeDigests(deps.identifiers, patientId, proof.recovery_code))) ? 'recovery_code' : undefined;
  });
}

/**
 * Runs a second factor's check under the lock `subject`: the attempt is reserved before (so parallel
 * guesses count as sequential ones), a truthy answer resets the count and anything else counts as a
 * failure. Throws SignInLockedError while the subject is locked. Codes and passkey assertions at
 * POST /login/mfa both go through here, so a wrong assertion counts exactly as a wrong code.
 */
export async function underLock<T>(subject: string, deps: Pick<SecondFactorCheckDeps, 'attempts' | 'clock'>, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const attempt = await deps.attempts.reserve(subject, deps.clock.now());
  if (attempt.locked) throw new SignInLockedError(attempt.retryAfterSeconds);
  const accepted = await check();
  if (accepted) await attempt.succeeded();
  else await attempt.failed(deps.clock.now());
  return accepted;
}

/** A pending factor's code, for its confirmation (any step within the drift; the store records it as the first used). */
export async function pendingCodeStep(patientId: string, factor: TotpFactor, code: string, deps: Pick<SecondFactorCheckDeps, 'cipher' | 'clock'>): Promise<number | undefined> {
  return matchingStep(await secretOf(patientId, factor, deps.cipher), code, deps.clock.now());
}
