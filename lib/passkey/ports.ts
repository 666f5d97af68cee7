import type { AccountNoticeMail } from '../patient/ports.js';

/** A passkey as stored: the public half only, never anything that could sign. */
export interface PasskeyCredential {
  /** The credential id the authenticator chose (base64url): unique across every patient. */
  id: string;
  patientId: string;
  /** The COSE public key (base64url), as the attestation carried it. */
  publicKey: string;
  /** The signature counter last seen; 0 for authenticators that keep none. */
  counter: number;
  /** Hints for the browser (`internal`, `hybrid`, `usb`…), as the authenticator reported them. */
  transports: string[];
  /** The authenticator model's AAGUID (all zeros when it does not tell). */
  aaguid: string;
  /** The patient's own label ("Work laptop"), shown in the list. */
  name: string;
  createdAt: Date;
  /** The latest sign-in with it; absent until the first. */
  lastUsedAt?: Date;
}

export type ChallengePurpose = 'enrol' | 'sign_in';

/**
 * A challenge handed to a browser, kept server-side until its answer comes back: the store spends it
 * (a conditional delete), so a replayed answer finds nothing.
 */
export interface PasskeyChallenge {
  /** The challenge itself (base64url of 32 random bytes), which the signed client data names. */
  challenge: string;
  purpose: ChallengePurpose;
  /** Whose enrolment it is for; absent for a sign-in (the passkey names the patient). */
  patientId?: string;
  expiresAt: Date;
}

/** The outcome of moving a credential's counter forward: refused when the stored counter is not below it. */
export type CounterAdvance = 'advanced' | 'not_forward' | 'unknown';

export type PasskeyAddition = 'added' | 'duplicate' | 'full';

export interface PasskeyStore {
  /** Keeps a challenge until it is spent or expires (stores may drop expired ones at any time). */
  saveChallenge(challenge: PasskeyChallenge): Promise<void>;
  /**
   * Spends a challenge: answers it once (whoever deletes it first), undefined if unknown or already
   * spent. Expired challenges may still be answered: the caller judges `expiresAt`.
   */
  takeChallenge(challenge: string): Promise<PasskeyChallenge | undefined>;
  /**
   * Stores a new credential and queues the notice, in one write: 'duplicate' if a credential with
   * that id exists already (whoever's it is: a credential id names one passkey), 'full' if the
   * patient holds `limit` passkeys already. The count is decided in the write (parallel additions
   * never pass the limit together).
   */
  add(credential: PasskeyCredential, notice: AccountNoticeMail, limit: number): Promise<PasskeyAddition>;
  /** The credential with that id, of whichever patient. */
  find(credentialId: string): Promise<PasskeyCredential | undefined>;
  /** The patient's passkeys, oldest first. */
  listFor(patientId: string): Promise<PasskeyCredential[]>;
  /**
   * Removes one of the patient's own passkeys and queues the notice, in one write; false if the
   * patient has none with that id (another patient's is never touched).
   */
  remove(patientId: string, credentialId: string, notice: AccountNoticeMail): Promise<boolean>;
  /**
   * Sets the counter of the patient's credential (as `find` gave it) to `next` only while the stored
   * one is below it (or both are 0: an authenticator that keeps no counter): of two assertions with
   * the same counter, one advances. 'unknown' if the patient has no such credential (removed meanwhile).
   */
  advanceCounter(credential: Pick<PasskeyCredential, 'id' | 'patientId'>, next: number, usedAt: Date): Promise<CounterAdvance>;
}
