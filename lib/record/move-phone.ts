import { randomUUID } from 'node:crypto';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { confirmCurrentPassword } from '../auth/current-password.js';
import { requireRecentSignInAudited, type StepUpDeps } from '../auth/step-up.js';
import type { PasswordCheckDeps } from '../auth/password-check.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { DuplicateRegistrationError, GonePhoneCodeError, InvalidAccessTokenError, SameContactError, SignInRefusedError, WrongPhoneCodeError } from '../errors.js';
import { logger } from '../logging/logger.js';
import { normalizePhone } from '../patient/normalize.js';
import type { PatientRecord } from '../patient/ports.js';
import type { PhoneMoveRequestBody, PhoneVerifyRequest } from '../patient/registration-schema.js';
import { takenOverNotice } from '../phone/phone-claim.js';
import { MAX_WRONG_TRIES, phoneCodeDigestInput } from '../phone/phone-code.js';
import { issuePhoneCode, type SendPhoneCodeDeps } from '../phone/send-phone-code.js';

export type MovePhoneDeps = SendPhoneCodeDeps & PasswordCheckDeps & StepUpDeps & { auditor: AuditRecorder };

/** What POST /me/phone answers. */
export const PHONE_MOVE_REQUESTED_ANSWER = 'A code is on its way to the new number. Your number changes once you enter it (within 10 minutes).';

async function activePatient(caller: VerifiedAccessToken, deps: Pick<MovePhoneDeps, 'repository'>, refuse: () => Promise<void>): Promise<PatientRecord> {
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (lapsed, removed): as good as no token.
  if (!patient) throw new InvalidAccessTokenError('unknown_subject');
  if (!patient.is_active) {
    await refuse();
    throw new SignInRefusedError('inactive');
  }
  return patient;
}

/**
 * POST /me/phone: a code by SMS to a new number (normalized as at registration), under the phone
 * verification's own limits, budgets and code rules (issuePhoneCode). The password is checked under
 * the caller's session lock schedule first: a token left on a shared computer cannot move the number
 * that proves the account. Nothing changes until the code comes back. A number another account has
 * proven by SMS is refused now, as registration refuses it (422 on phone_number; registration tells
 * the same), so no text goes to someone else's phone. A number held unproven is as good as free
 * (issue 19 item 4: possession wins): the caller is about to prove it, and the code's right answer
 * takes it over. This read only decides whether to text; the move's write decides who gets it.
 * Works whether or not the patient has a number now.
 */
export async function requestPhoneMove(caller: VerifiedAccessToken, request: PhoneMoveRequestBody, context: RequestContext, deps: MovePhoneDeps): Promise<void> {
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'phone_move_request', outcome, patientId: caller.patientId, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  const patient = await activePatient(caller, deps, () => audit('failure', 'inactive'));
  // Issue 21: a sign-in within 10 minutes, and AAL2 when the patient holds a second factor.
  await requireRecentSignInAudited(caller, deps, audit);
  await confirmCurrentPassword(caller, patient, request.password, deps, audit);
  // The schema's e164Phone keyword accepted it: normalizing cannot fail here.
  const newPhone = normalizePhone(request.phone_number) ?? request.phone_number;
  // Its own number, verified or not (POST /phone/verification proves that one).
  if (newPhone === patient.phone_number) throw new SameContactError('phone_number');
  if ((await deps.repository.findPhoneHolder(newPhone))?.phone_verified) {
    await audit('failure', 'taken');
    throw new DuplicateRegistrationError({ email: false, phone: true });
  }
  await issuePhoneCode(patient.id, newPhone, context, deps, { newPhone: true });
  logger.info('phone move', { outcome: 'requested', patientId: patient.id });
  await audit('success');
}

/**
 * POST /me/phone/verify: the code from the SMS to the new number. Wrong tries count as on phone
 * verification (5 per code). The right one moves the number in one write: the new number reserved
 * under a condition, the old released, `phone_verified: true`, the record's version moved, and the
 * account's address told. A number held by an account that never proved it is taken from that
 * account in the same write, only while it still has not (issue 19 item 4: as a registration's claim
 * takes it; the account told by mail, the takeover in its trail). A number proven (or registered and
 * proven) meanwhile: 422 on phone_number, nothing written, the code kept.
 */
export async function verifyPhoneMove(caller: VerifiedAccessToken, request: PhoneVerifyRequest, context: RequestContext, deps: MovePhoneDeps): Promise<void> {
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'phone_move', outcome, patientId: caller.patientId, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  const patient = await activePatient(caller, deps, () => audit('failure', 'inactive'));
  const now = deps.clock.now();
  // Every key version in use: a code issued just before a rotation still matches.
  const digests = await deps.identifiers.all('phone-code', phoneCodeDigestInput(patient.id, request.code));
  const notice = { kind: 'account_notice_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, notice: 'phone_moved' as const, createdAt: now.toISOString() };
  const takenOver = (holder: { id: string; email: string }) => takenOverNotice(holder.id, holder.email, now);
  const result = await deps.phoneCodes.attemptMoveCode(patient.id, digests, now, MAX_WRONG_TRIES, { notice, takenOverNotice: takenOver });
  logger.info('phone move', { patientId: patient.id, outcome: result.outcome });
  switch (result.outcome) {
    case 'verified':
      await audit('success');
      if (result.takenFrom) await auditTakeover(result.takenFrom, context, deps);
      return;
    case 'wrong':
      await audit('failure', 'wrong_code');
      throw new WrongPhoneCodeError(result.triesLeft);
    case 'taken':
      await audit('failure', 'taken');
      throw new DuplicateRegistrationError({ email: false, phone: true });
    case 'none':
    case 'expired':
    case 'exhausted':
      await audit('failure', result.outcome === 'none' ? 'no_code' : result.outcome);
      throw new GonePhoneCodeError(result.outcome);
  }
}

/** In the former holder's own trail, as after a registration's claim: the field, never the number. */
async function auditTakeover(holderId: string, context: RequestContext, deps: Pick<MovePhoneDeps, 'auditor'>): Promise<void> {
  logger.info('phone number taken over from its unproven holder', { patientId: holderId });
  await deps.auditor.record(context, { action: 'record_update', outcome: 'success', reason: 'phone_taken_over', patientId: holderId, fields: ['phone_number'] });
}
