import { describeError, logger } from '../logging/logger.js';
import { issuePasswordReset, type IssuePasswordResetDeps } from '../password/forgot-password.js';
import { issueVerificationResend, type IssueResendDeps } from '../patient/resend-verification.js';
import { issuePhoneClaim, type IssuePhoneClaimDeps } from '../phone/phone-claim.js';
import type { Mailer } from '../patient/ports.js';
import type { SmsSender } from '../sms/ports.js';
import type { ClaimedItem, OutboxStore } from './ports.js';
import { MAX_SEND_ATTEMPTS } from './retry-policy.js';

export interface DeliverMailDeps extends IssueResendDeps, IssuePhoneClaimDeps {
  outbox: OutboxStore;
  mailer: Mailer;
  sms: SmsSender;
  /** Where reset links point. */
  resetUrlBase: IssuePasswordResetDeps['resetUrlBase'];
}

/** Long enough for one SES call with its retries; a crashed sender's item is retried after it. */
export const SEND_LEASE_MS = 60_000;

export type Delivery = 'sent' | 'not-due' | 'failed';

const DONE_MESSAGES: Record<ClaimedItem['kind'], string> = {
  verification_email: 'mail sent',
  resend_request: 'resend request handled',
  phone_code_sms: 'sms sent',
  password_reset_request: 'password reset request handled',
  phone_claim_request: 'phone claim request handled',
  password_reset_email: 'mail sent',
  password_changed_email: 'mail sent',
  account_notice_email: 'mail sent',
  email_move_email: 'mail sent',
};

/**
 * What delivering an item means: a mail is sent; a resend request is looked up and, for an
 * unverified patient, turns into a new mail (a phone claim request, for a number held unproven, into
 * a claim code's SMS) (committed with its token before the request counts as
 * done). Returns the follow-up mail to deliver, if any.
 */
async function perform(item: ClaimedItem, deps: DeliverMailDeps): Promise<string | undefined> {
  switch (item.kind) {
    case 'verification_email':
      await deps.mailer.sendVerificationEmail({ to: item.to, verifyUrl: item.verifyUrl });
      return undefined;
    case 'resend_request':
      return (await issueVerificationResend(item.to, deps))?.id;
    case 'phone_code_sms':
      await deps.sms.sendText({ to: item.to, body: item.text });
      return undefined;
    case 'password_reset_request':
      return (await issuePasswordReset(item.to, deps))?.id;
    case 'phone_claim_request':
      return (await issuePhoneClaim(item.to, deps))?.id;
    case 'password_reset_email':
      await deps.mailer.sendPasswordResetEmail({ to: item.to, resetUrl: item.resetUrl });
      return undefined;
    case 'password_changed_email':
      await deps.mailer.sendPasswordChangedEmail({ to: item.to, firstName: item.firstName, changedAt: item.createdAt, sessionsEnded: item.sessionsEnded });
      return undefined;
    case 'account_notice_email':
      await deps.mailer.sendAccountNotice({ to: item.to, notice: item.notice });
      return undefined;
    case 'email_move_email':
      await deps.mailer.sendEmailMoveLink({ to: item.to, confirmUrl: item.confirmUrl });
      return undefined;
  }
}

/**
 * Claim → deliver → mark done. Whoever claims first delivers; everyone else sees 'not-due'. A failed
 * delivery gives the item back to the outbox for a later attempt. Delivery is at-least-once: a crash
 * between delivering and marking can repeat it after the lease, never lose it.
 */
export async function deliverMail(id: string, deps: DeliverMailDeps): Promise<Delivery> {
  const item = await deps.outbox.claim(id, deps.clock.now(), SEND_LEASE_MS);
  if (!item) return 'not-due';
  const where = { outboxId: id, kind: item.kind, attempts: item.attempts, ...('patientId' in item && { patientId: item.patientId }) };
  let followUp: string | undefined;
  try {
    followUp = await perform(item, deps);
  } catch (error) {
    // The last attempt: an operator has to look (a metric filter on this message can page).
    if (item.attempts >= MAX_SEND_ATTEMPTS) logger.error('mail given up after its last attempt', { ...where, ...describeError(error) });
    else logger.warn('mail send failed; back in the outbox', { ...where, ...describeError(error) });
    await deps.outbox.release(item, deps.clock.now());
    return 'failed';
  }
  await deps.outbox.markSent(item, deps.clock.now());
  logger.info(DONE_MESSAGES[item.kind], where);
  if (followUp) await deliverFollowUp(followUp, deps);
  return 'sent';
}

/**
 * The mail a handled request just committed (a resend's new link, a reset link), sent at once by
 * the mailer that handled the request. Its own stream record would trigger it too; whoever claims
 * first sends. Nothing here may fail the request's delivery any more: a mail that cannot go now
 * stays in the outbox for the stream and the sweep.
 */
async function deliverFollowUp(id: string, deps: DeliverMailDeps): Promise<void> {
  try {
    await deliverMail(id, deps);
  } catch (error) {
    logger.error('mail delivery could not start; the outbox will retry', { outboxId: id, ...describeError(error) });
  }
}

/** Delivers every item that is due: the sweeper run by a schedule in AWS and by a timer locally. */
export async function deliverDueMails(deps: DeliverMailDeps, limit = 25): Promise<Record<Delivery, number>> {
  const counts: Record<Delivery, number> = { sent: 0, 'not-due': 0, failed: 0 };
  for (const id of await deps.outbox.listDue(deps.clock.now(), limit)) counts[await deliverMail(id, deps)]++;
  return counts;
}
