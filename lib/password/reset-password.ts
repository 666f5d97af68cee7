import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import type { LoginAttempts } from '../auth/lockout-policy.js';
import { GoneResetTokenError, InvalidResetTokenError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock, PasswordHasher, PatientRepository } from '../patient/ports.js';
import type { PasswordResetRequest } from '../patient/registration-schema.js';
import { hashResetToken, passwordChangedNotice } from './reset-token.js';

export interface ResetPasswordDeps {
  repository: PatientRepository;
  hasher: PasswordHasher;
  attempts: LoginAttempts;
  auditor: AuditRecorder;
  clock: Clock;
}

/**
 * Sets a new password with a reset link's token. The link proves the mailbox, so the email becomes
 * verified (and an unverified registration stops lapsing): this is how the owner of a squatted
 * address takes the account over, the squatter's password replaced. Whoever held a session with the
 * old password loses it in the same transaction as the new hash (a failure leaves the link usable,
 * so a retry does all of it), a pending email move ends there too (its notice tells the owner that
 * "Forgot password" ends it), and the lock counter starts again. It does not sign in: the page has
 * nowhere to keep tokens, and signing in next proves the new password works.
 *
 * A registration that was never verified is taken back (issue 20): what its registrant typed is not
 * the owner's, so the store deletes medical history, insurance and emergency contact, releases an
 * unproven phone number and asks for a review of the rest (profile_review_required), all in the
 * reset's transaction. Its audit event names the deleted fields.
 */
export async function resetPassword(request: PasswordResetRequest, context: RequestContext, deps: ResetPasswordDeps): Promise<void> {
  const tokenHash = hashResetToken(request.token);
  const named = await deps.repository.findResetToken(tokenHash);
  const patient = named && (await deps.repository.getPatient(named.patientId));
  if (!patient) {
    logger.info('password reset', { outcome: 'unknown' });
    await deps.auditor.record(context, { action: 'password_reset', outcome: 'failure', reason: 'unknown', ...(named && { patientId: named.patientId }) });
    throw new InvalidResetTokenError();
  }
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'password_reset', outcome, patientId: patient.id, ...(reason && { reason }) });

  const now = deps.clock.now();
  const result = await deps.repository.resetPassword({
    tokenHash,
    passwordHash: await deps.hasher.hash(request.password),
    // Queued in the reset's own transaction: the notice cannot be lost once the password changed.
    notice: passwordChangedNotice(patient, now, 'all'),
    now,
  });
  if (result.outcome !== 'reset') {
    logger.info('password reset', { outcome: result.outcome, patientId: patient.id });
    await audit('failure', result.outcome);
    if (result.outcome === 'unknown') throw new InvalidResetTokenError();
    throw new GoneResetTokenError(result.outcome);
  }
  await deps.attempts.recordSuccess(patient.id);
  logger.info('password reset', { outcome: 'reset', patientId: patient.id });
  await audit('success');
  if (result.takenBack) {
    // Taken back (issue 20): the audit names what went, never a value.
    const fields = [...result.takenBack.deleted, ...(result.takenBack.phoneReleased ? ['phone_number'] : [])];
    await deps.auditor.record(context, { action: 'record_update', outcome: 'success', reason: 'taken_back', patientId: patient.id, fields });
    logger.info('record taken back', { patientId: patient.id, fields });
  }
}
