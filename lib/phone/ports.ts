import type { OutboxSms } from '../outbox/ports.js';
import type { AccountNoticeMail } from '../patient/ports.js';

/** A phone verification code as stored: only its keyed digest, never the code. */
export interface PhoneCodeRecord {
  patientId: string;
  /** Random id of this code: a try only counts against the code it was read with. */
  codeId: string;
  /** Keyed digest (lib/identifiers, kind `phone-code`) of `<patientId>:<code>`. */
  digest: string;
  expiresAt: Date;
  createdAt: Date;
  /**
   * A code that moves the patient to this (normalized) number once it is proven (POST /me/phone);
   * absent: a code that verifies the number already stored. Each is tried only by its own route.
   */
  newPhone?: string;
}

/** Trying a move code (POST /me/phone/verify): the notices the move queues in its own write. */
export interface PhoneMoveAttempt {
  notice: AccountNoticeMail;
  /**
   * The notice to the account the move takes the number from (issue 19 item 4: one that holds it
   * unproven). The store knows that account only when it writes, so it asks for the notice then.
   */
  takenOverNotice: (holder: { id: string; email: string }) => AccountNoticeMail;
}

export type PhoneCodeAttempt =
  /**
   * The code was right: it is used up, and the patient's phone is verified (one step). `takenFrom`:
   * a move took the number from this account, which held it unproven (released, told by mail).
   */
  | { outcome: 'verified'; takenFrom?: string }
  /** The code was wrong; the try is counted. */
  | { outcome: 'wrong'; triesLeft: number }
  | { outcome: 'expired' }
  /** maxWrongTries wrong tries were made: the code no longer works, even the right one. */
  | { outcome: 'exhausted' }
  /** No code to try: never issued, used, (DynamoDB) removed by TTL after expiring, or one for the other route. */
  | { outcome: 'none' }
  /** A move code was right, but the new number belongs to another account by now: nothing written, the code kept. */
  | { outcome: 'taken' };

/**
 * A claim code (issue 19 item 4): proves possession of a number to a registration, whoever holds the
 * number unproven. Keyed by the number's keyed digest (`claimKey`), stored only as a keyed digest.
 */
export interface PhoneClaimRecord {
  claimKey: string;
  codeId: string;
  /** Keyed digest (kind `phone-code`) of phoneClaimDigestInput(claimKey, code). */
  digest: string;
  expiresAt: Date;
  createdAt: Date;
}

export type PhoneClaimAttempt =
  /** The code is right: the registration's transaction spends it (PhoneTakeover), only while its id is still `codeId`. */
  | { outcome: 'valid'; codeId: string }
  | { outcome: 'wrong'; triesLeft: number }
  | { outcome: 'expired' }
  | { outcome: 'exhausted' }
  | { outcome: 'none' };

export interface PhoneVerificationStore {
  /** Stores the number's claim code, replacing an older one, and queues its SMS, atomically. */
  issueClaim(claim: PhoneClaimRecord, sms: OutboxSms): Promise<void>;
  /** Checks a claim code without spending it; a wrong try is counted atomically (concurrent wrong tries each count). */
  attemptClaim(claimKey: string, digests: readonly string[], now: Date, maxWrongTries: number): Promise<PhoneClaimAttempt>;
  /** Stores the code, replacing the patient's older one (which stops working), and queues its SMS, atomically. */
  issueCode(code: PhoneCodeRecord, sms: OutboxSms): Promise<void>;
  /**
   * Tries a code: `digests` are the presented code's digests under every key version in use. Atomic:
   * concurrent wrong tries each count, and of concurrent right tries exactly one is 'verified' (the
   * code is removed and the patient's phone_verified set, with phone_verified_at, in one step).
   * A patient whose number was released (taken over) is never verified: the code answers 'none'.
   */
  attemptCode(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number): Promise<PhoneCodeAttempt>;
  /**
   * attemptCode for a move code (one issued with `newPhone`; a verification code is `none` here, and
   * a move code is `none` to attemptCode). The right one, in one step: the code used, the new number
   * reserved under the same condition a registration's is (free, or a lapsed registration's), or
   * taken from an account that holds it unproven exactly as a registration's claim takes it (issue 19
   * item 4: only while that account still has not proven it; flagged released, its codes void, its
   * `takenOverNotice` queued), the old reservation released, phone_number replaced, phone_verified
   * set, updated_at moved and the notice queued; `taken` (nothing written, the code kept) when the
   * number belongs to an account that proved it.
   */
  attemptMoveCode(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number, move: PhoneMoveAttempt): Promise<PhoneCodeAttempt>;
}
