import { randomUUID } from 'node:crypto';
import { InvalidAccessTokenError, SignInLockedError, SignInRefusedError, TotpStateError, WrongSecondFactorError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { AccountNotice, AccountNoticeMail, PatientRecord, PatientRepository } from '../patient/ports.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import { attemptSubjects } from './lockout-policy.js';
import type { VerifiedAccessToken } from './ports.js';
import { newRecoveryCodes, recoveryCodeDigest } from './recovery-codes.js';
import { checkSecondFactor, pendingCodeStep, type SecondFactorCheckDeps, type SecondFactorProof } from './second-factor-check.js';
import type { SessionStore } from './session-ports.js';
import { requireRecentSignIn, type StepUpDeps } from './step-up.js';
import { newTotpSecret, qrCodeSvg, totpUri } from './totp.js';

export interface TotpEnrolmentDeps extends SecondFactorCheckDeps, StepUpDeps {
  repository: Pick<PatientRepository, 'getPatient'>;
  sessions: Pick<SessionStore, 'endOthers'>;
  auditor: AuditRecorder;
  identifiers: IdentifierDigests;
  /** The issuer an authenticator app shows beside the code. */
  serviceName: string;
}

/** What POST /me/totp answers: everything an app needs, once; the secret is stored only encrypted. */
export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  /** The URI as an SVG QR code (image/svg+xml text). */
  qr_svg: string;
}

/** The caller's own active patient, or the 401/403 every Bearer route gives. */
async function activePatient(caller: VerifiedAccessToken, deps: TotpEnrolmentDeps): Promise<PatientRecord> {
  const patient = await deps.repository.getPatient(caller.patientId);
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  if (!patient.is_active) throw new SignInRefusedError('inactive');
  return patient;
}

const noticeOf = (patient: PatientRecord, notice: AccountNotice, now: Date): AccountNoticeMail =>
  ({ kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice, createdAt: now.toISOString() });

/** Wrong codes typed while signed in count on the caller's session, as a wrong current password does. */
const sessionSubject = (caller: VerifiedAccessToken) => attemptSubjects.session(caller.sessionId ?? `token:${caller.tokenId}`);

/**
 * POST /me/totp (step-up: a sign-in within 10 minutes, AAL2 if a factor is held): a new secret,
 * stored envelope-encrypted and pending until a code confirms it. Begun again, it replaces the
 * pending one; with an active app it is refused (409): remove that one first.
 */
export async function beginTotpEnrolment(caller: VerifiedAccessToken, context: RequestContext, deps: TotpEnrolmentDeps): Promise<TotpEnrolment> {
  await requireRecentSignIn(caller, deps);
  const patient = await activePatient(caller, deps);
  const secret = newTotpSecret();
  const encrypted = await deps.cipher.encryptFields(patient.id, { totp_secret: secret });
  if (!(await deps.totp.begin(patient.id, randomUUID(), encrypted, deps.clock.now()))) throw new TotpStateError('active');
  await deps.auditor.record(context, { action: 'totp_enrolment', outcome: 'success', patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }) });
  const otpauth_uri = totpUri(secret, deps.serviceName, patient.email);
  return { secret, otpauth_uri, qr_svg: await qrCodeSvg(otpauth_uri) };
}

/**
 * POST /me/totp/confirm: the first code from the app turns the pending secret on (its step counts as
 * used) and answers 10 recovery codes, shown this once and stored as keyed digests; the notice mail is
 * queued in the same store step. A wrong code counts on the caller's session lock.
 */
export async function confirmTotpEnrolment(caller: VerifiedAccessToken, request: { code: string }, context: RequestContext, deps: TotpEnrolmentDeps): Promise<{ recovery_codes: string[] }> {
  const patient = await activePatient(caller, deps);
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'totp_enable', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  const factor = await deps.totp.read(patient.id);
  if (!factor || factor.active) throw new TotpStateError(factor ? 'active' : 'none_pending');
  const attempt = await deps.attempts.reserve(sessionSubject(caller), deps.clock.now());
  if (attempt.locked) {
    await audit('failure', 'locked');
    throw new SignInLockedError(attempt.retryAfterSeconds);
  }
  const step = await pendingCodeStep(patient.id, factor, request.code, deps);
  if (step === undefined) {
    await attempt.failed(deps.clock.now());
    await audit('failure', 'wrong_code');
    throw new WrongSecondFactorError();
  }
  const codes = newRecoveryCodes();
  const now = deps.clock.now();
  const activated = await deps.totp.activate({
    patientId: patient.id, enrolmentId: factor.enrolmentId, step, now,
    recoveryCodeDigests: await Promise.all(codes.map((code) => recoveryCodeDigest(deps.identifiers, patient.id, code))),
    notice: noticeOf(patient, 'authenticator_app_added', now),
  });
  // Confirmed by a parallel request, or begun again meanwhile: this code confirmed nothing.
  if (!activated) throw new TotpStateError('none_pending');
  await attempt.succeeded();
  logger.info('authenticator app added', { patientId: patient.id });
  await audit('success');
  return { recovery_codes: codes };
}

/**
 * DELETE /me/totp (step-up, and a current code or an unused recovery code): ends every other session
 * (whoever signed in with the factor elsewhere must sign in again under the weaker rule), then
 * removes the app and its recovery codes with the notice. Two writes, in this order on purpose: if
 * the removal fails, the sessions have ended already and the app is still on, so a retry does both
 * again; the other order could leave the sessions alive behind a retry that finds no app (409).
 */
export async function removeTotp(caller: VerifiedAccessToken, proof: SecondFactorProof, context: RequestContext, deps: TotpEnrolmentDeps): Promise<void> {
  await requireRecentSignIn(caller, deps);
  const patient = await activePatient(caller, deps);
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'totp_disable', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  const factor = await deps.totp.read(patient.id);
  if (!factor?.active) throw new TotpStateError('none_active');
  const accepted = await checkSecondFactor(patient.id, factor, proof, sessionSubject(caller), deps).catch(async (error: unknown) => {
    if (error instanceof SignInLockedError) await audit('failure', 'locked');
    throw error;
  });
  if (!accepted) {
    await audit('failure', 'wrong_code');
    throw new WrongSecondFactorError();
  }
  const now = deps.clock.now();
  if (caller.sessionId) await deps.sessions.endOthers(patient.id, caller.sessionId, now);
  if (!(await deps.totp.remove(patient.id, factor.enrolmentId, noticeOf(patient, 'authenticator_app_removed', now)))) throw new TotpStateError('none_active');
  logger.info('authenticator app removed', { patientId: patient.id, proof: accepted });
  await audit('success', accepted === 'recovery_code' ? 'recovery_code' : undefined);
}
