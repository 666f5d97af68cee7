import type { AccountNoticeMail, LinkState } from '../patient/ports.js';

/**
 * The link that moves the account to a new address, to that address (whose mailbox it proves). Like
 * a verification mail it carries nothing the patient chose: the address is not yet proven theirs.
 */
export interface EmailMoveMail {
  kind: 'email_move_email';
  id: string;
  patientId: string;
  /** The new, normalized address. */
  to: string;
  confirmUrl: string;
  createdAt: string;
}

/** POST /me/email: a pending move to `newEmail`, its link's digest, and the mails, written together. */
export interface EmailMoveRequest {
  patientId: string;
  newEmail: string;
  /** SHA-256 of the link's token: the token itself is never stored. */
  tokenHash: string;
  expiresAt: Date;
  /** The session that asked: it goes on after the move, every other one ends. */
  keepSessionId?: string;
  /** The link, to the new address. */
  link: EmailMoveMail;
  /** "A move of your address was asked for", to the current one. */
  notice: AccountNoticeMail;
  now: Date;
}

/** What a move link would meet if it were used now (as linkState judges mailed links), and whose it is. */
export type EmailMoveLink = { state: 'usable'; patientId: string } | { state: Exclude<LinkState, 'usable'> };

/** Using a move link: only while the patient still has `expectedEmail` (the notice goes there). */
export interface EmailMoveConfirmation {
  tokenHash: string;
  patientId: string;
  expectedEmail: string;
  /** "Your address was changed", to the old address, queued in the move's own transaction. */
  notice: AccountNoticeMail;
  now: Date;
}

export type EmailMoveOutcome =
  | { outcome: 'moved'; email: string }
  /** The new address belongs to another account by now: nothing written, the link still usable. */
  | { outcome: 'taken' }
  | { outcome: Exclude<LinkState, 'usable'> };

/**
 * Moving a patient's email address (issue 20). Every write here is decided by the store: the new
 * address is reserved under a condition in the same transaction that releases the old one.
 */
export interface ContactMoveStore {
  /**
   * Records the pending move as the patient's newest (an older link stops working: superseded) and
   * queues both mails, atomically; only while the patient is active with a verified email. False
   * (nothing written) otherwise.
   */
  requestEmailMove(request: EmailMoveRequest): Promise<boolean>;
  /** Read only: the link's state at `now` and its patient (opening a link's page never spends it). */
  emailMoveLink(tokenHash: string, now: Date): Promise<EmailMoveLink>;
  /**
   * Atomically, only while the link is unused, unexpired and the patient's newest, and the patient is
   * active at `expectedEmail`: the new address reserved (free, or held only by a lapsed registration),
   * the old reservation released, the email replaced (still verified), updated_at moved, every session
   * family but the one that asked ended, the link used and the notice queued. `taken` writes nothing.
   */
  confirmEmailMove(confirmation: EmailMoveConfirmation): Promise<EmailMoveOutcome>;
}
