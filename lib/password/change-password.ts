import { requireRecentSignInAudited, type StepUpDeps } from '../auth/step-up.js';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { confirmCurrentPassword } from '../auth/current-password.js';
import type { PasswordCheckDeps } from '../auth/password-check.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { InvalidAccessTokenError, SignInRefusedError, WrongCurrentPasswordError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { PasswordChangeRequest } from '../patient/registration-schema.js';
import { passwordChangedNotice } from './reset-token.js';

export interface ChangePasswordDeps extends PasswordCheckDeps, StepUpDeps {
  auditor: AuditRecorder;
}

/**
 * A signed-in patient's new password. The current one is checked under the lock schedule of the
 * caller's session (a stolen access token must not become a way to guess the password), not the
 * account's: a stranger's guesses at sign-in cannot stop the owner from changing it, and the owner's
 * typos here do not lock sign-in. Success replaces the hash, ends every other session (the caller's
 * own, named by its access token's `sid`, survives), every outstanding reset link and a pending email
 * move, and queues the notice, all in one transaction. A deactivated patient is refused as on every other Bearer route,
 * before the password is looked at.
 */
export async function changePassword(caller: VerifiedAccessToken, request: PasswordChangeRequest, context: RequestContext, deps: ChangePasswordDeps): Promise<void> {
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (lapsed, removed): as good as no token.
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'password_change', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  if (!patient.is_active) {
    await audit('failure', 'inactive');
    throw new SignInRefusedError('inactive');
  }
  // Issue 21: a sign-in within 10 minutes, and AAL2 when the patient holds a second factor.
  await requireRecentSignInAudited(caller, deps, audit);

  await confirmCurrentPassword(caller, patient, request.current_password, deps, audit);
  const now = deps.clock.now();
  const changed = await deps.repository.changePassword({
    patientId: patient.id,
    expectedHash: patient.password_hash,
    passwordHash: await deps.hasher.hash(request.password),
    ...(caller.sessionId && { keepSessionId: caller.sessionId }),
    notice: passwordChangedNotice(patient, now, 'others'),
    now,
  });
  if (!changed) {
    // Another change (or a reset, or a deactivation) won meanwhile: the current password given here is no longer it.
    await audit('failure', 'changed_meanwhile');
    throw new WrongCurrentPasswordError();
  }
  logger.info('password change', { outcome: 'changed', patientId: patient.id, sessionId: caller.sessionId });
  await audit('success');
}
