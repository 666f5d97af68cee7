import type { OutboxSms } from '../outbox/ports.js';

/** A phone verification code as stored: only its keyed digest, never the code. */
export interface PhoneCodeRecord {
  patientId: string;
  /** Random id of this code: a try only counts against the code it was read with. */
  codeId: string;
  /** Keyed digest (lib/identifiers, kind `phone-code`) of `<patientId>:<code>`. */
  digest: string;
  expiresAt: Date;
  createdAt: Date;
}

export type PhoneCodeAttempt =
  /** The code was right: it is used up, and the patient's phone is verified (one step). */
  | { outcome: 'verified' }
  /** The code was wrong; the try is counted. */
  | { outcome: 'wrong'; triesLeft: number }
  | { outcome: 'expired' }
  /** maxWrongTries wrong tries were made: the code no longer works, even the right one. */
  | { outcome: 'exhausted' }
  /** No code to try: never issued, used, or (DynamoDB) removed by TTL after expiring. */
  | { outcome: 'none' };

export interface PhoneVerificationStore {
  /** Stores the code, replacing the patient's older one (which stops working), and queues its SMS, atomically. */
  issueCode(code: PhoneCodeRecord, sms: OutboxSms): Promise<void>;
  /**
   * Tries a code: `digests` are the presented code's digests under every key version in use. Atomic:
   * concurrent wrong tries each count, and of concurrent right tries exactly one is 'verified' (the
   * code is removed and the patient's phone_verified set, with phone_verified_at, in one step).
   */
  attemptCode(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number): Promise<PhoneCodeAttempt>;
}
