import type { OutboxMail } from '../patient/ports.js';

/**
 * The transactional outbox: mails are written in the same transaction as the data they announce,
 * then delivered by whoever claims them first (the request that wrote them, the stream mailer, or
 * the sweeper). A claim is a lease, so a crashed sender's mail becomes due again.
 */
export interface ClaimedMail extends OutboxMail {
  /** Send attempts so far, this one included. */
  attempts: number;
  /** This claim: marking and releasing only work while it still holds the mail. */
  claimId: string;
}

export interface OutboxStore {
  /**
   * Takes the mail if it is due (pending, or its lease ran out); undefined if sent, claimed by another,
   * or out of attempts (then it is given up, also when its senders kept crashing).
   */
  claim(id: string, now: Date, leaseMs: number): Promise<ClaimedMail | undefined>;
  /** Records the send; a no-op if this claim was taken over meanwhile. */
  markSent(mail: ClaimedMail, now: Date): Promise<void>;
  /** Gives the mail back after a failed send: due again after a backoff, or given up. A no-op if taken over. */
  release(mail: ClaimedMail, now: Date): Promise<void>;
  /** Ids of mails due now, oldest first. */
  listDue(now: Date, limit: number): Promise<string[]>;
}
