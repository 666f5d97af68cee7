import { randomUUID } from 'node:crypto';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { confirmCurrentPassword } from '../auth/current-password.js';
import { requireRecentSignInAudited, type StepUpDeps } from '../auth/step-up.js';
import type { PasswordCheckDeps } from '../auth/password-check.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { InvalidAccessTokenError, SignInRefusedError, WrongCurrentPasswordError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { AccountNoticeMail, PatientRecord } from '../patient/ports.js';
import type { AccountCloseRequest } from '../patient/registration-schema.js';

/** What POST /me/close answers (the OpenAPI example is this text). */
export const ACCOUNT_CLOSED_ANSWER = 'Your account is closed and every session was signed out. To reopen it, choose "Forgot password" and follow the link mailed to you.';

export interface CloseAccountDeps extends PasswordCheckDeps, StepUpDeps {
  auditor: AuditRecorder;
}

/**
 * POST /me/close: the patient closes their own account. The password is checked under the caller's
 * session lock schedule, as for a password change (a token left on a shared computer cannot close the
 * account, nor become a way to guess the password; a stranger's guesses at sign-in cannot stop the
 * owner). The store then deactivates the patient, ends every session (the caller's too), every
 * outstanding reset link and a pending email move, and queues the confirmation, in one transaction conditioned on the account
 * still being active with the hash the password matched: of a close racing a password change or a
 * reset exactly one lands. The record itself is kept (lib/record/README.md: retention, reopening).
 */
export async function closeAccount(caller: VerifiedAccessToken, request: AccountCloseRequest, context: RequestContext, deps: CloseAccountDeps): Promise<void> {
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (lapsed, removed): as good as no token.
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'account_close', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  if (!patient.is_active) {
    await audit('failure', 'inactive');
    throw new SignInRefusedError('inactive');
  }
  // Issue 21: a sign-in within 10 minutes, and AAL2 when the patient holds a second factor.
  await requireRecentSignInAudited(caller, deps, audit);

  await confirmCurrentPassword(caller, patient, request.password, deps, audit);
  const now = deps.clock.now();
  const closed = await deps.repository.closeAccount({ patientId: patient.id, expectedHash: patient.password_hash, notice: closedNotice(patient, now), now });
  if (!closed) {
    // A password change or reset (the password given is no longer it), or another close, won meanwhile.
    const latest = await deps.repository.getPatient(patient.id);
    if (latest && !latest.is_active) {
      await audit('failure', 'inactive');
      throw new SignInRefusedError('inactive');
    }
    await audit('failure', 'changed_meanwhile');
    throw new WrongCurrentPasswordError();
  }
  logger.info('account close', { outcome: 'closed', patientId: patient.id, sessionId: caller.sessionId });
  await audit('success');
}

function closedNotice(patient: PatientRecord, now: Date): AccountNoticeMail {
  return { kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: 'account_closed', createdAt: now.toISOString() };
}
