import type { OutboxMail } from '../patient/ports.js';

/**
 * The transactional outbox: mails are written in the same transaction as the data they announce,
 * then delivered by whoever claims them first (the request that wrote them, the stream mailer, or
 * the sweeper). A claim is a lease, so a crashed sender's mail becomes due again.
 */
export interface ClaimedMail extends OutboxMail {
  /** Send attempts so far, this one included. */
  attempts: number;
}

export interface OutboxStore {
  /** Takes the mail if it is due (pending, or its lease ran out); undefined if sent or claimed by another. */
  claim(id: string, now: Date, leaseMs: number): Promise<ClaimedMail | undefined>;
  markSent(id: string, now: Date): Promise<void>;
  /** Gives the mail back after a failed send; it becomes due again after a backoff, or is given up. */
  release(mail: ClaimedMail, now: Date): Promise<void>;
  /** Ids of mails due now, oldest first. */
  listDue(now: Date, limit: number): Promise<string[]>;
}
