import type { Gender } from './registration-schema.js';

/** What the use cases need from the outside world; adapters in lib/adapters implement these. */

export interface Address {
  street: string;
  city: string;
  state: string;
  zip: string;
  country: string;
}

export interface EmergencyContact {
  name: string;
  phone: string;
  relationship?: string;
}

/** Patient-data fields after envelope encryption: ciphertexts plus the wrapped data key. */
export interface EncryptedFields {
  keyId: string;
  wrappedKey: string;
  ciphertexts: Record<string, string>;
}

/** A patient as stored: normalized identifiers, a password hash, and patient data only as ciphertext. */
export interface PatientRecord {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  phone_number: string;
  password_hash: string;
  date_of_birth: string;
  gender: Gender;
  address: Address;
  emergency_contact?: EmergencyContact;
  encrypted?: EncryptedFields;
  email_verified: boolean;
  phone_verified: boolean;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  /** The Idempotency-Key of the request that registered the patient: lets its retry get the 201. */
  registration_key?: string;
  /** That request's fingerprint: a retry with the key but another body is not the same request. */
  registration_fingerprint?: string;
}

export interface VerificationTokenRecord {
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string;
  patientId: string;
  expiresAt: Date;
}

export type TokenConsumption =
  | { outcome: 'verified'; patientId: string }
  | { outcome: 'unknown' }
  | { outcome: 'expired' }
  | { outcome: 'used' }
  /** A newer link was requested (resend): only the newest one works. */
  | { outcome: 'superseded' };

/** What the resend flow (and a registration's retry) needs to know about a patient found by email. */
export interface PatientContact {
  id: string;
  first_name: string;
  email: string;
  phone_number: string;
  registration_key: string | undefined;
  registration_fingerprint: string | undefined;
  email_verified: boolean;
  /** Digest of the newest verification token; older tokens are superseded. */
  verification_token_hash: string | undefined;
}

/** A verification mail waiting in the transactional outbox until the mailer has sent it. */
export interface OutboxMail {
  kind: 'verification_email';
  id: string;
  patientId: string;
  to: string;
  firstName: string;
  verifyUrl: string;
  createdAt: string;
}

export interface PatientRepository {
  /** Which of the normalized identifiers already belong to a patient (a cheap check before hashing). */
  findTakenIdentifiers(email: string, phone: string): Promise<{ email: boolean; phone: boolean }>;
  /**
   * Stores the patient, its email and phone reservations, its verification token and the mail to
   * send (outbox) atomically. Throws DuplicateRegistrationError naming the identifiers that clash;
   * then nothing is stored.
   */
  createPatient(patient: PatientRecord, token: VerificationTokenRecord, mail: OutboxMail): Promise<void>;
  /** Marks the token used and the patient's email verified in one step. */
  consumeVerificationToken(tokenHash: string, now: Date): Promise<TokenConsumption>;
  findPatientByEmail(email: string): Promise<PatientContact | undefined>;
  /**
   * Issues a new token (the previous one stops working) and queues its mail, atomically. Returns
   * false when the patient changed meanwhile (verified, or another resend won): nothing is written.
   */
  replaceVerificationToken(patient: PatientContact, token: VerificationTokenRecord, mail: OutboxMail): Promise<boolean>;
}

export interface FieldCipher {
  /** Encrypts the given fields for one patient; the patient id is bound into the ciphertexts. */
  encryptFields(patientId: string, fields: Record<string, unknown>): Promise<EncryptedFields>;
  decryptFields(patientId: string, encrypted: EncryptedFields): Promise<Record<string, unknown>>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
}

export interface VerificationMail {
  to: string;
  firstName: string;
  verifyUrl: string;
}

export interface Mailer {
  sendVerificationEmail(mail: VerificationMail): Promise<void>;
}

export interface Clock {
  now(): Date;
}
