import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { attemptSubjects, LINK_SCHEDULE } from '../auth/lockout-policy.js';
import { checkPassword, type PasswordCheckDeps } from '../auth/password-check.js';
import { SessionRefusedError, startSession, type SessionDeps, type SessionTokens } from '../auth/session-issuer.js';
import { GoneTokenError, InvalidTokenError, SignInRefusedError, WrongPasswordError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { VerifyEmailRequest } from './registration-schema.js';
import { hashVerificationToken } from './verification-token.js';

export interface VerifyEmailDeps extends PasswordCheckDeps, SessionDeps {
  auditor: AuditRecorder;
}

/**
 * Consumes a verification token, once the password proves the account is the clicker's: a link
 * proves only the mailbox, and an account someone else registered on this address (holding their
 * password) must not become verified by the victim's click (pre-account hijacking). A wrong
 * password leaves the token unused and counts toward the link's own tries, never the account's lock
 * (whoever holds the link holds the mailbox, and must get in whatever a stranger did to the account):
 * after LINK_PASSWORD_TRIES wrong ones the link is spent and a new one can be asked for. Success
 * signs the patient in.
 */
export async function verifyEmail(request: VerifyEmailRequest, context: RequestContext, deps: VerifyEmailDeps, options: { startSession: false }): Promise<undefined>;
export async function verifyEmail(request: VerifyEmailRequest, context: RequestContext, deps: VerifyEmailDeps, options?: { startSession: true }): Promise<SessionTokens>;
export async function verifyEmail(request: VerifyEmailRequest, context: RequestContext, deps: VerifyEmailDeps, { startSession: signIn = true } = {}): Promise<SessionTokens | undefined> {
  const tokenHash = hashVerificationToken(request.token);
  const named = await deps.repository.findVerificationToken(tokenHash);
  if (!named) {
    logger.info('email verification', { outcome: 'unknown' });
    throw new InvalidTokenError();
  }
  const audit = (outcome: 'success' | 'failure', extra: { reason?: string; sessionId?: string } = {}) =>
    deps.auditor.record(context, { action: 'email_verification', outcome, patientId: named.patientId, ...extra });
  const fail = async (reason: string) => {
    logger.info('email verification', { outcome: reason, patientId: named.patientId });
    await audit('failure', { reason });
  };

  // Gone while the link was still valid: the registration lapsed unverified.
  const patient = await deps.repository.getPatient(named.patientId);
  if (!patient) {
    await fail('lapsed');
    throw new GoneTokenError('expired');
  }
  const check = await checkPassword(patient, request.password, deps, { subject: attemptSubjects.link(tokenHash), schedule: LINK_SCHEDULE });
  if (check.outcome === 'locked') {
    await fail('spent');
    throw new GoneTokenError('spent');
  }
  if (check.outcome === 'wrong') {
    await fail('wrong_password');
    throw new WrongPasswordError();
  }

  // Refused before the link is consumed: a deactivated account's email is not marked verified.
  if (!patient.is_active) {
    await fail('inactive');
    throw new SignInRefusedError('inactive');
  }
  const result = await deps.repository.consumeVerificationToken(tokenHash, deps.clock.now());
  if (result.outcome === 'unknown') {
    await fail('unknown');
    throw new InvalidTokenError();
  }
  if (result.outcome !== 'verified') {
    await fail(result.outcome);
    throw new GoneTokenError(result.outcome);
  }
  if (!signIn) {
    logger.info('email verification', { outcome: 'verified', patientId: patient.id });
    await audit('success');
    return undefined;
  }
  // Under the hash the password was compared against: a reset or change committed meanwhile refuses
  // the session in the store, answered as a wrong password (issue 19 item 3; the email stays verified).
  const { tokens, sessionId } = await startSession(patient.id, deps, context.device, undefined, undefined, { passwordHash: check.passwordHash })
    .catch(async (error: unknown) => {
      if (!(error instanceof SessionRefusedError)) throw error;
      await fail('password_changed');
      throw new WrongPasswordError();
    });
  logger.info('email verification', { outcome: 'verified', patientId: patient.id, sessionId });
  await audit('success', { sessionId });
  return tokens;
}
