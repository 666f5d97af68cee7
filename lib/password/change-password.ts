import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { checkPassword, type PasswordCheckDeps } from '../auth/password-check.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import type { SessionStore } from '../auth/session-ports.js';
import { InvalidAccessTokenError, SignInLockedError, WrongCurrentPasswordError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { OutboxStore } from '../outbox/ports.js';
import type { PasswordChangeRequest } from '../patient/registration-schema.js';
import { passwordChangedNotice } from './reset-token.js';

export interface ChangePasswordDeps extends PasswordCheckDeps {
  sessions: SessionStore;
  outbox: OutboxStore;
  auditor: AuditRecorder;
}

/**
 * A signed-in patient's new password. The current one is checked under the sign-in lock policy (a
 * stolen access token must not become a way to guess the password); success replaces the hash and
 * ends every other session: the caller's own (named by its access token's `sid`) survives.
 */
export async function changePassword(caller: VerifiedAccessToken, request: PasswordChangeRequest, context: RequestContext, deps: ChangePasswordDeps): Promise<void> {
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (lapsed, removed): as good as no token.
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'password_change', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });

  // No re-hash of the current password: it is about to be replaced, and a re-hash would change the
  // hash the compare-and-set below expects.
  const check = await checkPassword(patient, request.current_password, { ...deps, hasher: { ...deps.hasher, needsRehash: () => false } });
  if (check.outcome === 'locked') {
    await audit('failure', 'locked');
    throw new SignInLockedError(check.retryAfterSeconds);
  }
  if (check.outcome === 'wrong') {
    await Promise.all([check.counted, audit('failure', 'wrong_password')]);
    throw new WrongCurrentPasswordError();
  }
  const now = deps.clock.now();
  if (!(await deps.repository.replacePasswordHash(patient.id, patient.password_hash, await deps.hasher.hash(request.password), now))) {
    // Another change (or a reset) won meanwhile: the current password given here is no longer it.
    await audit('failure', 'changed_meanwhile');
    throw new WrongCurrentPasswordError();
  }
  await deps.sessions.revokeAllFor(patient.id, now, caller.sessionId);
  // Right after the change, not in its transaction (the compare-and-set is a single update): a crash
  // in between loses this notice, never the change.
  await deps.outbox.enqueue(passwordChangedNotice(patient, now, 'others'));
  logger.info('password change', { outcome: 'changed', patientId: patient.id, sessionId: caller.sessionId });
  await audit('success');
}
