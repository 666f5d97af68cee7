import { randomUUID } from 'node:crypto';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { confirmCurrentPassword } from '../auth/current-password.js';
import { requireRecentSignInAudited, type StepUpDeps } from '../auth/step-up.js';
import { attemptSubjects, LINK_SCHEDULE } from '../auth/lockout-policy.js';
import { checkPassword, type PasswordCheckDeps } from '../auth/password-check.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import {
  DuplicateRegistrationError, GoneEmailMoveLinkError, InvalidAccessTokenError, InvalidEmailMoveLinkError, SameContactError, SignInRefusedError, TooManyRequestsError,
  WrongPasswordError,
} from '../errors.js';
import { logger } from '../logging/logger.js';
import type { OutboxStore } from '../outbox/ports.js';
import type { RateLimit, RateLimiter } from '../rate-limit/ports.js';
import { normalizeEmail } from '../patient/normalize.js';
import type { AccountNotice, AccountNoticeMail, LinkState, PatientRecord } from '../patient/ports.js';
import { opaqueToken, type EmailMoveConfirmRequest, type EmailMovePageRequest, type EmailMoveRequestBody } from '../patient/registration-schema.js';
import { hashVerificationToken, newVerificationToken, verificationUrl } from '../patient/verification-token.js';
import type { ContactMoveStore } from './ports.js';

/** How long a move link works: long enough to open a mailbox, short for a link that moves an account. */
export const EMAIL_MOVE_LINK_MINUTES = 30;
const EMAIL_MOVE_LINK_MS = EMAIL_MOVE_LINK_MINUTES * 60_000;

/** What POST /me/email answers, whether or not the new address has an account (no enumeration). */
export const EMAIL_MOVE_REQUESTED_ANSWER = 'If this address can be used, a confirmation link is on its way to it. Your email address changes once that link is opened (within 30 minutes).';

/**
 * Moves asked for per patient in any hour (sliding): each mails an address the patient chose, so a
 * stolen session with its password must not become a way to mail strangers at will.
 */
export const EMAIL_MOVE_LIMIT: RateLimit = { limit: 3, windowSeconds: 3600 };

export interface MoveEmailDeps extends PasswordCheckDeps, StepUpDeps {
  contactMoves: ContactMoveStore;
  rateLimiter: Pick<RateLimiter, 'slide'>;
  outbox: Pick<OutboxStore, 'enqueue'>;
  auditor: AuditRecorder;
  /** Where the move link's page is (GET /me/email/confirm on the API's own origin). */
  emailMoveUrlBase: string;
}

const notice = (patientId: string, to: string, kind: AccountNotice, now: Date): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId, to, notice: kind, createdAt: now.toISOString(),
});

async function activePatient(caller: VerifiedAccessToken, deps: Pick<MoveEmailDeps, 'repository'>): Promise<PatientRecord> {
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (lapsed, removed): as good as no token.
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  return patient;
}

/**
 * POST /me/email: asks to move the account to another address. The password is checked under the
 * caller's session lock schedule (a token left on a shared computer cannot move the account). A
 * single-use link (30 minutes, only the newest works, stored as its digest) goes to the new address
 * and a notice to the current one, both through the outbox in the write that records the move. An
 * address that has an account already gets the same answer, and only a mail saying someone tried:
 * the answer never tells whether an address is registered.
 */
export async function requestEmailMove(caller: VerifiedAccessToken, request: EmailMoveRequestBody, context: RequestContext, deps: MoveEmailDeps): Promise<void> {
  const patient = await activePatient(caller, deps);
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'email_move_request', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  if (!patient.is_active) {
    await audit('failure', 'inactive');
    throw new SignInRefusedError('inactive');
  }
  // Issue 21: a sign-in within 10 minutes, and AAL2 when the patient holds a second factor.
  await requireRecentSignInAudited(caller, deps, audit);
  await confirmCurrentPassword(caller, patient, request.password, deps, audit);
  const newEmail = normalizeEmail(request.email);
  if (newEmail === patient.email) throw new SameContactError('email');
  const now = deps.clock.now();
  // Counted whether or not the address has an account: the limit tells nothing about it either.
  const decision = await deps.rateLimiter.slide(`email-move#${patient.id}`, EMAIL_MOVE_LIMIT, now);
  if (!decision.allowed) {
    await audit('failure', 'rate_limited');
    throw new TooManyRequestsError(decision.retryAfterSeconds, 'Too many email changes asked for. Please try again later.');
  }

  if ((await deps.repository.findTakenIdentifiers(newEmail, '')).email) {
    // The owner of that address learns someone tried; the caller learns nothing (the same 202).
    await deps.outbox.enqueue(notice(patient.id, newEmail, 'email_move_refused', now));
    logger.info('email move', { outcome: 'requested', patientId: patient.id });
    await audit('success');
    return;
  }
  const token = newVerificationToken();
  const recorded = await deps.contactMoves.requestEmailMove({
    patientId: patient.id,
    newEmail,
    tokenHash: hashVerificationToken(token),
    expiresAt: new Date(now.getTime() + EMAIL_MOVE_LINK_MS),
    ...(caller.sessionId && { keepSessionId: caller.sessionId }),
    link: { kind: 'email_move_email', id: randomUUID(), patientId: patient.id, to: newEmail, confirmUrl: verificationUrl(deps.emailMoveUrlBase, token), createdAt: now.toISOString() },
    notice: notice(patient.id, patient.email, 'email_move_requested', now),
    now,
  });
  if (!recorded) {
    // Closed (or its email unverified) between the read and the write.
    await audit('failure', 'inactive');
    throw new SignInRefusedError('inactive');
  }
  logger.info('email move', { outcome: 'requested', patientId: patient.id });
  await audit('success');
}

type Refusal = Exclude<LinkState, 'usable'>;
const refusal = (state: Refusal) => (state === 'unknown' ? new InvalidEmailMoveLinkError() : new GoneEmailMoveLinkError(state));

/**
 * The move itself, once the link's holder has proven the account (a session, or the password on the
 * page). The store reserves the new address under a condition, releases the old one, replaces the
 * email (still verified), ends every other session and tells the old address, in one write.
 */
async function moveEmail(patientId: string, tokenHash: string, audit: (outcome: 'success' | 'failure', reason?: string) => Promise<void>, deps: MoveEmailDeps): Promise<string> {
  const patient = await deps.repository.getPatient(patientId);
  if (!patient) throw new InvalidEmailMoveLinkError();
  if (!patient.is_active) {
    await audit('failure', 'inactive');
    throw new SignInRefusedError('inactive');
  }
  const now = deps.clock.now();
  const result = await deps.contactMoves.confirmEmailMove({ tokenHash, patientId, expectedEmail: patient.email, notice: notice(patientId, patient.email, 'email_moved', now), now });
  logger.info('email move', { outcome: result.outcome, patientId });
  if (result.outcome === 'taken') {
    await audit('failure', 'taken');
    throw new DuplicateRegistrationError({ email: true, phone: false });
  }
  if (result.outcome !== 'moved') {
    await audit('failure', result.outcome);
    throw refusal(result.outcome);
  }
  await audit('success');
  return result.email;
}

/**
 * POST /me/email/confirm (Bearer) `{"token"}`: the signed-in patient's own link. A link of another
 * account reads as unknown (a session proves one account, and it is not that one).
 */
export async function confirmEmailMove(caller: VerifiedAccessToken, request: EmailMoveConfirmRequest, context: RequestContext, deps: MoveEmailDeps): Promise<string> {
  const tokenHash = hashVerificationToken(request.token);
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'email_move', outcome, patientId: caller.patientId, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  const link = await deps.contactMoves.emailMoveLink(tokenHash, deps.clock.now());
  if (link.state !== 'usable' || link.patientId !== caller.patientId) {
    const state = link.state === 'usable' ? 'unknown' : link.state;
    await audit('failure', state);
    throw refusal(state);
  }
  return moveEmail(link.patientId, tokenHash, audit, deps);
}

/**
 * POST on the link's page `{"token", "password"}`: no session there, so the account's password
 * proves the account, as on the verification page. A link proves only the mailbox: an address typed
 * by mistake belongs to someone else, who must not get the account by clicking (and then resetting
 * its password). Wrong passwords count toward the link's own tries (LINK_SCHEDULE), never the
 * account's lock; five spend it.
 */
export async function confirmEmailMoveWithPassword(request: EmailMovePageRequest, context: RequestContext, deps: MoveEmailDeps): Promise<string> {
  const tokenHash = hashVerificationToken(request.token);
  const link = await deps.contactMoves.emailMoveLink(tokenHash, deps.clock.now());
  if (link.state !== 'usable') {
    logger.info('email move', { outcome: link.state });
    throw refusal(link.state);
  }
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'email_move', outcome, patientId: link.patientId, ...(reason && { reason }) });
  const patient = await deps.repository.getPatient(link.patientId);
  if (!patient) throw new InvalidEmailMoveLinkError();
  const check = await checkPassword(patient, request.password, { ...deps, hasher: { ...deps.hasher, needsRehash: () => false } }, { subject: attemptSubjects.link(tokenHash), schedule: LINK_SCHEDULE });
  if (check.outcome === 'locked') {
    await audit('failure', 'spent');
    throw new GoneEmailMoveLinkError('spent');
  }
  if (check.outcome === 'wrong') {
    await audit('failure', 'wrong_password');
    throw new WrongPasswordError();
  }
  return moveEmail(link.patientId, tokenHash, audit, deps);
}

const TOKEN_SHAPE = new RegExp(opaqueToken.pattern);

/**
 * Opening the link's page (GET): what the link would meet if it were used now. Only reads: mail
 * scanners prefetch links, and opening one must never spend it. A token the POST's schema would
 * refuse cannot be one of ours: unknown, without a read.
 */
export async function openEmailMoveLink(token: string, deps: Pick<MoveEmailDeps, 'contactMoves' | 'clock'>): Promise<LinkState> {
  const { state } = token.length <= opaqueToken.maxLength && TOKEN_SHAPE.test(token)
    ? await deps.contactMoves.emailMoveLink(hashVerificationToken(token), deps.clock.now())
    : { state: 'unknown' as const };
  logger.info('link opened', { kind: 'email_move', outcome: state });
  return state;
}
