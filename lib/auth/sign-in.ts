import { InvalidCredentialsError, SignInLockedError, SignInRefusedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import { normalizeEmail } from '../patient/normalize.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import { checkPassword, type PasswordCheckDeps } from './password-check.js';
import { startSession, type SessionDeps, type SessionTokens } from './session-issuer.js';

export interface SignInDeps extends PasswordCheckDeps, SessionDeps {
  auditor: AuditRecorder;
  /**
   * A hash of the configured cost that no password matches: an unknown email is compared against it,
   * so it costs the same bcrypt work as a wrong password and the two cannot be told apart by timing.
   */
  dummyHash: string;
}

/**
 * A patient id no account has: an unknown email reads its lock state too, so it makes the same
 * store round trip as a known one before bcrypt (the answer is never used).
 */
const NO_ACCOUNT = '00000000-0000-4000-8000-000000000000';

type FailureReason = 'unknown_email' | 'wrong_password' | 'locked' | 'unverified' | 'inactive';

/** POST /login: the email's password, then tokens — only for a verified, active account. */
export async function signIn(request: { email: string; password: string }, context: RequestContext, deps: SignInDeps): Promise<SessionTokens> {
  const patient = await deps.repository.findCredentials(normalizeEmail(request.email));
  const fail = async (reason: FailureReason, patientId?: string) => {
    logger.info('sign-in', { outcome: 'failure', reason, ...(patientId && { patientId }) });
    await deps.auditor.record(context, { action: 'sign_in', outcome: 'failure', reason, ...(patientId && { patientId }) });
  };

  if (!patient) {
    await deps.attempts.check(NO_ACCOUNT, deps.clock.now());
    await deps.hasher.compare(request.password, deps.dummyHash);
    await fail('unknown_email');
    throw new InvalidCredentialsError();
  }
  const check = await checkPassword(patient, request.password, deps);
  if (check.outcome === 'locked') {
    await fail('locked', patient.id);
    throw new SignInLockedError(check.retryAfterSeconds);
  }
  if (check.outcome === 'wrong') {
    await Promise.all([check.counted, fail('wrong_password', patient.id)]);
    throw new InvalidCredentialsError();
  }
  // Only after the password: whoever learns these already knows it.
  if (!patient.email_verified || !patient.is_active) {
    const reason = patient.email_verified ? 'inactive' : 'unverified';
    await fail(reason, patient.id);
    throw new SignInRefusedError(reason);
  }
  const { tokens, sessionId } = await startSession(patient.id, deps);
  logger.info('sign-in', { outcome: 'success', patientId: patient.id });
  await deps.auditor.record(context, { action: 'sign_in', outcome: 'success', patientId: patient.id, sessionId });
  return tokens;
}
