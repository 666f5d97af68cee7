import type { AccountNoticeMail, OutboxMail, PasswordChangedMail, PasswordResetMail } from '../patient/ports.js';
import type { EmailMoveMail } from '../record/ports.js';

/**
 * A request for a new verification link, recorded exactly as asked: whether the address belongs to
 * anyone is looked up later, by whoever delivers it, so the request's answer and its timing cannot
 * depend on the address.
 */
export interface ResendRequest {
  kind: 'resend_request';
  id: string;
  /** The normalized address asked about; it may belong to nobody. */
  to: string;
  createdAt: string;
}

/**
 * A phone verification code by SMS. The text holds the code, a secret: the outbox forgets it once
 * the SMS is sent or given up (as it forgets a mail's link).
 */
export interface OutboxSms {
  kind: 'phone_code_sms';
  id: string;
  patientId: string;
  /** E.164 phone number. */
  to: string;
  text: string;
  createdAt: string;
}


/** A forgot-password request, recorded as asked; like a resend request, it forgets the address once handled. */
export interface PasswordResetRequest {
  kind: 'password_reset_request';
  id: string;
  /** The normalized address asked about; it may belong to nobody. */
  to: string;
  createdAt: string;
}

/**
 * A request for a phone claim code (issue 19 item 4), recorded as asked: whether the number is held,
 * and by whom, is looked up by the outbox mailer (issuePhoneClaim), so the answer reveals nothing.
 * It forgets the number once handled, as a resend request forgets the address.
 */
export interface PhoneClaimRequest {
  kind: 'phone_claim_request';
  id: string;
  /** The normalized E.164 number asked about. */
  to: string;
  createdAt: string;
}

/**
 * Items queued on their own (not inside another transaction): requests, the notice, and a live
 * link's mail sent again (its token is already stored: nothing else to write with it).
 */
export type StandaloneItem = ResendRequest | PasswordResetRequest | PhoneClaimRequest | PasswordChangedMail | OutboxMail | PasswordResetMail | AccountNoticeMail;

/** What the outbox holds: mails to send, requests that may end in one, and SMS. */
export type OutboxItem = OutboxMail | ResendRequest | PasswordResetRequest | PhoneClaimRequest | PasswordResetMail | PasswordChangedMail | OutboxSms | AccountNoticeMail | EmailMoveMail;

/**
 * The transactional outbox: items are written in the same transaction as the data they announce (or
 * alone, for a resend request), then delivered by whoever claims them first (the request that wrote
 * them, the stream mailer, or the sweeper). A claim is a lease, so a crashed sender's item becomes
 * due again.
 */
export type ClaimedItem = OutboxItem & {
  /** Delivery attempts so far, this one included. */
  attempts: number;
  /** This claim: marking and releasing only work while it still holds the item. */
  claimId: string;
};

export interface OutboxStore {
  /**
   * Takes the item if it is due (pending, or its lease ran out); undefined if sent, claimed by another,
   * or out of attempts (then it is given up, also when its senders kept crashing).
   */
  claim(id: string, now: Date, leaseMs: number): Promise<ClaimedItem | undefined>;
  /** Records the delivery; a no-op if this claim was taken over meanwhile. */
  markSent(item: ClaimedItem, now: Date): Promise<void>;
  /** Gives the item back after a failed delivery: due again after a backoff, or given up. A no-op if taken over. */
  release(item: ClaimedItem, now: Date): Promise<void>;
  /** Queues a request (or a notice) on its own, due at once. */
  enqueue(request: StandaloneItem): Promise<void>;
  /** Ids of items due now, oldest first. */
  listDue(now: Date, limit: number): Promise<string[]>;
}
