import { describeError, logger } from '../logging/logger.js';
import type { Clock, Mailer } from '../patient/ports.js';
import type { OutboxStore } from './ports.js';
import { MAX_SEND_ATTEMPTS } from './retry-policy.js';

export interface DeliverMailDeps {
  outbox: OutboxStore;
  mailer: Mailer;
  clock: Clock;
}

/** Long enough for one SES call with its retries; a crashed sender's mail is retried after it. */
export const SEND_LEASE_MS = 60_000;

export type Delivery = 'sent' | 'not-due' | 'failed';

/**
 * Claim → send → mark sent. Whoever claims first sends; everyone else sees 'not-due'. A failed send
 * gives the mail back to the outbox for a later attempt. Delivery is at-least-once: a crash between
 * sending and marking can repeat a mail after the lease, never lose it.
 */
export async function deliverMail(id: string, deps: DeliverMailDeps): Promise<Delivery> {
  const mail = await deps.outbox.claim(id, deps.clock.now(), SEND_LEASE_MS);
  if (!mail) return 'not-due';
  try {
    await deps.mailer.sendVerificationEmail({ to: mail.to, firstName: mail.firstName, verifyUrl: mail.verifyUrl });
  } catch (error) {
    const where = { outboxId: id, patientId: mail.patientId, attempts: mail.attempts, ...describeError(error) };
    // The last attempt: an operator has to look (a metric filter on this message can page).
    if (mail.attempts >= MAX_SEND_ATTEMPTS) logger.error('mail given up after its last attempt', where);
    else logger.warn('mail send failed; back in the outbox', where);
    await deps.outbox.release(mail, deps.clock.now());
    return 'failed';
  }
  await deps.outbox.markSent(mail, deps.clock.now());
  logger.info('mail sent', { outboxId: id, patientId: mail.patientId });
  return 'sent';
}

/**
 * Sends a mail just written with committed data. Nothing here may fail the request any more: a mail
 * that cannot be sent now stays in the outbox for the sweep. True when the mail is sent or on its way
 * (another sender, e.g. the stream mailer, claimed it first).
 */
export async function deliverAfterCommit(id: string, patientId: string, deps: DeliverMailDeps): Promise<boolean> {
  try {
    return (await deliverMail(id, deps)) !== 'failed';
  } catch (error) {
    logger.error('mail delivery could not start; the outbox will retry', { outboxId: id, patientId, ...describeError(error) });
    return false;
  }
}

/** Delivers every mail that is due: the sweeper run by a schedule in AWS and by a timer locally. */
export async function deliverDueMails(deps: DeliverMailDeps, limit = 25): Promise<Record<Delivery, number>> {
  const counts: Record<Delivery, number> = { sent: 0, 'not-due': 0, failed: 0 };
  for (const id of await deps.outbox.listDue(deps.clock.now(), limit)) counts[await deliverMail(id, deps)]++;
  return counts;
}
