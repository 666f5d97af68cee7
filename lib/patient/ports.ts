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
  /**
   * ISO time at which the registration lapses unless its email is verified first: the patient, its
   * reservations, tokens and mail are then removed (a squatter cannot hold an address for long).
   * Verifying the email clears it. Set by the register use case; stores only honour it.
   */
  lapses_at?: string;
  /**
   * The number was taken over by someone who proved it by SMS (issue 19 item 4): `phone_number` is
   * kept only for the row's constraints, no longer reserved, never shown (GET /me answers null) and
   * never provable again by this patient, who adds a new number in the account.
   */
  phone_number_released?: boolean;
  /**
   * Set by a password reset that proved the mailbox of a never-verified registration (issue 20,
   * taken-back accounts): the names, date of birth, gender and address are the registrant's, not
   * necessarily the owner's, until a PATCH /me that names all five confirms or corrects them.
   */
  profile_review_required?: boolean;
}

/** What sign-in needs about a patient found by email (or named by a verification token). */
export interface PatientCredentials {
  id: string;
  password_hash: string;
  email_verified: boolean;
  is_active: boolean;
}

export interface VerificationTokenRecord {
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string;
  patientId: string;
  expiresAt: Date;
  /**
   * The random seed the token was derived from (lib/patient/link-token.ts): with the HMAC key it
   * gives the same token back, so a request inside the link's life re-sends it instead of replacing
   * it. Stored on the patient beside the token's digest; alone it is not a token.
   */
  seed: string;
}

/** The patient's newest link (verification or reset) while it can still be re-sent. */
export interface LiveLink {
  tokenHash: string;
  seed: string;
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
  /** The newest verification link's seed and expiry (absent for links issued before seeds were kept). */
  verification_link?: LiveLink;
  /** The newest reset link's digest, seed and expiry, until it is used. */
  reset_link?: LiveLink;
}

/**
 * A verification mail waiting in the transactional outbox until the mailer has sent it. No name: the
 * mail carries nothing the registrant chose (VerificationMail), so the outbox keeps nothing of it.
 */
export interface OutboxMail {
  kind: 'verification_email';
  id: string;
  patientId: string;
  to: string;
  verifyUrl: string;
  createdAt: string;
}

/** A password-reset token as stored: only its digest (and its seed on the patient), like a verification token. */
export interface ResetTokenRecord {
  /** SHA-256 of the token, hex. */
  tokenHash: string;
  patientId: string;
  expiresAt: Date;
  seed: string;
}

/** The mail with a reset link, queued in the same transaction as its token; no name, as a verification mail. */
export interface PasswordResetMail {
  kind: 'password_reset_email';
  id: string;
  patientId: string;
  to: string;
  resetUrl: string;
  createdAt: string;
}

/**
 * Which sessions a password change ended: `all` after a reset (a link, no session), `others` after a
 * signed-in change (the caller's own session goes on). The notice says which.
 */
export type SessionsEnded = 'all' | 'others';

/** "Your password was changed": a notice only, with no link that changes anything. */
export interface PasswordChangedMail {
  kind: 'password_changed_email';
  id: string;
  patientId: string;
  to: string;
  firstName: string;
  /** The time of the change, which the notice gives. */
  createdAt: string;
  sessionsEnded: SessionsEnded;
}

/**
 * A notice about the account to its own (proven) address: what happened, never the values (a name
 * or a date of birth is not repeated in a mail). One kind for every notice of the patient's own
 * record, so a new notice is a new `notice`, not a new outbox kind.
 */
export type AccountNotice =
  | 'profile_changed'
  | 'account_closed'
  /** To the current address: a move to another one was asked for (the link went there). */
  | 'email_move_requested'
  /** To the old address: the account now signs in with another one. */
  | 'email_moved'
  /** To an address that has an account already: someone tried to move another account to it (no link). */
  | 'email_move_refused'
  /** To the account's address: its phone number was replaced by a newly proven one. */
  | 'phone_moved'
  /** To an account whose unproven number was just proven by its owner (issue 19 item 4). */
  | 'phone_number_taken_over'
  /** Issue 21: an authenticator app was turned on, or removed. */
  | 'authenticator_app_added'
  | 'authenticator_app_removed'
  /** Issue 21: a passkey was added, or removed. */
  | 'passkey_added'
  | 'passkey_removed';
export interface AccountNoticeMail {
  kind: 'account_notice_email';
  id: string;
  patientId: string;
  to: string;
  notice: AccountNotice;
  createdAt: string;
}

/** The part of the record PATCH /me rewrites, as stored (the address with its country, a removed contact as null). */
export interface StoredProfile {
  first_name: string;
  last_name: string;
  date_of_birth: string;
  gender: Gender;
  address: Address;
  emergency_contact: EmergencyContact | null;
}

/** What PATCH /me writes: the whole profile as it now stands, guarded by the version it was read at. */
export interface ProfileWrite {
  patientId: string;
  /** updated_at as read: the write happens only while the record still has it (else the client gets 412). */
  expectedUpdatedAt: string;
  /** Always later than expectedUpdatedAt, so every write moves the version. */
  updatedAt: string;
  profile: StoredProfile;
  /** The re-encrypted patient data; null when none is left; absent leaves the stored ciphertexts as they are. */
  encrypted?: EncryptedFields | null;
  notice?: AccountNoticeMail;
  /** The PATCH named every reviewed field (names, date of birth, gender, address): profile_review_required is cleared in the same write. */
  reviewConfirmed?: boolean;
}

/**
 * What a reset of a never-verified registration removed (issue 20, taken-back accounts): the fields
 * deleted (names only, for the audit), and whether the unproven phone number was released.
 */
export interface TakenBack {
  deleted: ('medical_history' | 'insurance_info' | 'emergency_contact')[];
  phoneReleased: boolean;
}

export type PasswordReset =
  | { outcome: 'reset'; patientId: string; takenBack?: TakenBack }
  | { outcome: 'unknown' }
  | { outcome: 'expired' }
  | { outcome: 'used' }
  /** A newer reset link was requested: only the newest one works. */
  | { outcome: 'superseded' };

/** The two kinds of single-use link a mail carries. */
export type LinkKind = 'verification' | 'reset';

/**
 * What a link would meet if it were used now, judged as consumeVerificationToken and resetPassword
 * judge it (a lapsed registration's link is unknown; expiry has whole-second resolution; only the
 * newest link of its kind works), without using it.
 */
export type LinkState = 'usable' | 'used' | 'superseded' | 'expired' | 'unknown';

/** What a reset writes when its token is good: the new hash and the notice mail. */
export interface PasswordResetWrite {
  tokenHash: string;
  passwordHash: string;
  notice: PasswordChangedMail;
  now: Date;
}

/** A signed-in patient's new password (POST /password/change), written only over `expectedHash`. */
export interface PasswordChangeWrite {
  patientId: string;
  expectedHash: string;
  passwordHash: string;
  /** The caller's own session (its access token's `sid`): every other one ends. */
  keepSessionId?: string;
  notice: PasswordChangedMail;
  now: Date;
}

/** POST /me/close: the account deactivated, only while it is active and its hash is still the one the password was checked against. */
export interface AccountCloseWrite {
  patientId: string;
  /** The hash the given password matched: a password change or reset that landed meanwhile makes the close fail. */
  expectedHash: string;
  /** "Your account was closed", queued in the close's own transaction. */
  notice: AccountNoticeMail;
  now: Date;
}

/** The live patient holding a phone number (a released number has no holder). */
export interface PhoneHolder {
  id: string;
  email: string;
  phone_verified: boolean;
}

/**
 * A registration that proved its number with a claim code (issue 19 item 4): in the registration's
 * own transaction the claim is spent (single use: only while its code id is still `codeId`, unexpired
 * and under the tries cap) and, when `holder` is given, the number is taken from that patient only
 * while it still holds it unproven (phone_verified false): it is flagged released, its reservation
 * goes to the new patient, and `holder.notice` is queued to it.
 */
export interface PhoneTakeover {
  claimKey: string;
  codeId: string;
  now: Date;
  maxWrongTries: number;
  holder?: { id: string; notice: AccountNoticeMail };
}

export interface PatientRepository {
  /** Which of the normalized identifiers already belong to a patient (a cheap check before hashing); a released number is free. */
  findTakenIdentifiers(email: string, phone: string): Promise<{ email: boolean; phone: boolean }>;
  /** The live patient holding this normalized number unreleased, if any. */
  findPhoneHolder(phone: string): Promise<PhoneHolder | undefined>;
  /**
   * Stores the patient, its email and phone reservations, its verification token and the mail to
   * send (outbox) atomically. Throws DuplicateRegistrationError naming the identifiers that clash;
   * then nothing is stored. With `takeover`, also spends the claim and takes the number over (see
   * PhoneTakeover); a claim spent meanwhile throws PhoneClaimCodeError, a holder that proved the
   * number meanwhile DuplicateRegistrationError, and nothing is stored.
   */
  createPatient(patient: PatientRecord, token: VerificationTokenRecord, mail: OutboxMail, takeover?: PhoneTakeover): Promise<void>;
  /** Marks the token used and the patient's email verified in one step. */
  consumeVerificationToken(tokenHash: string, now: Date): Promise<TokenConsumption>;
  findPatientByEmail(email: string): Promise<PatientContact | undefined>;
  /**
   * Issues a new token (the previous one stops working) and queues its mail, atomically, keeping its
   * seed and expiry on the patient. Returns false when the patient changed meanwhile (verified, or
   * another resend won): nothing is written.
   */
  replaceVerificationToken(patient: PatientContact, token: VerificationTokenRecord, mail: OutboxMail): Promise<boolean>;
  /** Sign-in's lookup: undefined for an unknown email or a lapsed registration. */
  findCredentials(email: string): Promise<PatientCredentials | undefined>;
  /** The patient as stored (GET /me, verification with a password); undefined if unknown or lapsed. */
  getPatient(id: string): Promise<PatientRecord | undefined>;
  /**
   * Compare-and-set of the password hash (re-hash at a higher cost after a sign-in): writes `next`
   * only while the stored hash is still `expected`, and returns whether it did.
   */
  replacePasswordHash(patientId: string, expected: string, next: string, now: Date): Promise<boolean>;
  /** The patient a verification token names, whatever the token's state; undefined if unknown. */
  findVerificationToken(tokenHash: string): Promise<{ patientId: string } | undefined>;
  /**
   * Removes registrations whose `lapses_at` has passed while still unverified, with their
   * reservations, tokens and mail; returns how many. PostgreSQL runs it periodically; DynamoDB's TTL
   * does the same work, so its adapter has nothing to remove. Either way a lapsed registration
   * already reads as absent (and its email and phone as free) from the moment it lapses.
   */
  removeLapsedRegistrations(now: Date): Promise<number>;
  /**
   * Stores a reset token as the patient's newest (an older one stops working) and queues its mail,
   * atomically. False when the patient is gone (lapsed or removed): nothing is written.
   */
  issueResetToken(token: ResetTokenRecord, mail: PasswordResetMail): Promise<boolean>;
  /** The patient a reset token names, whatever the token's state; undefined if unknown or lapsed. */
  findResetToken(tokenHash: string): Promise<{ patientId: string } | undefined>;
  /**
   * Atomically: the token used, the new password hash, the email verified (the mailbox was proven),
   * and, when the email was not verified before (a taken-back account, issue 20): medical history,
   * insurance and emergency contact deleted, the phone number released unless proven by SMS (as a
   * phone claim releases it), profile_review_required set, and `takenBack` answered;
   * the registration's lapse lifted and a closed account reopened (`is_active` true: proving the
   * mailbox is how a closed account comes back), every session family of the patient revoked, and the notice
   * queued. Of concurrent resets with one token exactly one gets `reset`; nothing is written for any
   * other outcome, so a failed reset leaves the link usable for a retry that does all of it.
   */
  resetPassword(write: PasswordResetWrite): Promise<PasswordReset>;
  /**
   * Writes the profile (and its notice, in the same transaction) while the patient is active and its
   * updated_at is still `expectedUpdatedAt`; returns whether it did. Of concurrent writes read at one
   * version exactly one succeeds.
   */
  updateProfile(write: ProfileWrite): Promise<boolean>;
  /**
   * Atomically, only while the stored hash is still `expectedHash` and the patient is active: the new
   * hash, every session family but `keepSessionId` revoked, every outstanding reset link ended (a link
   * mailed before the change must not undo it), and the notice queued. False (nothing written) when
   * another change, a reset or a deactivation got there first.
   */
  changePassword(write: PasswordChangeWrite): Promise<boolean>;
  /**
   * Read only: the state of a link (its token's digest) at `now`, as consuming it would find it. It
   * writes nothing, so opening a link's page (or a mail scanner prefetching it) never spends it.
   */
  linkState(kind: LinkKind, tokenHash: string, now: Date): Promise<LinkState>;
  /**
   * Atomically, only while the patient is active, not lapsed and its hash is still `expectedHash`:
   * `is_active` false, every session family revoked (its refresh and access tokens die at once),
   * every outstanding reset link ended (only a link asked for after the close reopens it), and the
   * notice queued. The record, its reservations and its data stay. False (nothing written) when the
   * account is already closed or a password change or reset got there first.
   */
  closeAccount(write: AccountCloseWrite): Promise<boolean>;
}

export interface FieldCipher {
  /** Encrypts the given fields for one patient; the patient id is bound into the ciphertexts. */
  encryptFields(patientId: string, fields: Record<string, unknown>): Promise<EncryptedFields>;
  decryptFields(patientId: string, encrypted: EncryptedFields): Promise<Record<string, unknown>>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time in the hash's cost, whatever the answer. */
  compare(password: string, hash: string): Promise<boolean>;
  /** Whether a stored hash is weaker than what this hasher would write now (re-hash it after a sign-in). */
  needsRehash(hash: string): boolean;
}

/**
 * Room for one request in the process's password-hashing pool, taken before the request does any
 * work: a full pool refuses at once (HashingBusyError, 503 + Retry-After) instead of queueing a request
 * that would wait past its deadline after writing. Given back when the request's work has ended.
 */
export interface HashingAdmission {
  /** Takes a place or throws HashingBusyError; returns the release (calling it twice is harmless). */
  admit(): () => void;
}

/**
 * Mails with a link go to an address that has not proven itself (a verification always; a reset may
 * be for an unverified account), so they carry no text the registrant chose: no name. Anyone can
 * register any address, and "Hello <whatever they typed>" from the real sender is a phishing kit.
 */
export interface VerificationMail {
  to: string;
  verifyUrl: string;
}

export interface ResetMail {
  to: string;
  resetUrl: string;
}

/** Sent only after the mailbox was proven (a reset link) or by a signed-in, verified patient: it may greet by name. */
export interface ChangedMail {
  to: string;
  firstName: string;
  /** ISO time of the change. */
  changedAt: string;
  sessionsEnded: SessionsEnded;
}

/** The link that moves an account to this address (it proves the mailbox): the link only, as a verification mail. */
export interface EmailMoveLinkMail {
  to: string;
  confirmUrl: string;
}

export interface Mailer {
  sendVerificationEmail(mail: VerificationMail): Promise<void>;
  sendPasswordResetEmail(mail: ResetMail): Promise<void>;
  sendPasswordChangedEmail(mail: ChangedMail): Promise<void>;
  sendAccountNotice(mail: Pick<AccountNoticeMail, 'to' | 'notice'>): Promise<void>;
  sendEmailMoveLink(mail: EmailMoveLinkMail): Promise<void>;
}

export interface Clock {
  now(): Date;
}
