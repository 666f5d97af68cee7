import { DuplicateRegistrationError, PhoneClaimCodeError } from '../../../lib/errors.js';
import type { Clock, LiveLink, PatientRecord, PatientRepository, TakenBack } from '../../../lib/patient/ports.js';
import type { PhoneClaimRecord } from '../../../lib/phone/ports.js';
import type { InMemoryOutbox } from './in-memory-outbox.js';
import type { InMemorySessionStore } from './in-memory-sessions.js';

interface TokenRow {
  patientId: string;
  expiresAt: Date;
  used: boolean;
}

/** Expiry has whole-second resolution in the real stores: expired from the start of expiresAt's second. */
const second = (d: Date) => Math.floor(d.getTime() / 1000);

/** Lapsed from the start of lapses_at's second, by `now`. */
const lapsed = (patient: PatientRecord, now: Date) =>
  !patient.email_verified && patient.lapses_at !== undefined && second(new Date(patient.lapses_at)) <= second(now);

export interface InMemoryPatientRepository extends PatientRepository {
  /** The patient as stored, lapsed or not (unlike getPatient), without awaiting. */
  readPatient(id: string): PatientRecord | undefined;
  /** Every stored patient, to assert on what the use case handed over. */
  patients(): PatientRecord[];
  /** Deactivates (or reactivates) a patient directly, as a test's shortcut past POST /me/close. */
  setActive(id: string, active: boolean): void;
  /** The patient as stored unless lapsed by `now` (the live object: only the other fakes of this store use it). */
  readLive(id: string, now: Date): PatientRecord | undefined;
  /**
   * The contact-move store's half of a move (one transaction in the real stores): the new address
   * reserved only while free (a lapsed registration's is), the old one released, the email replaced,
   * every session but `keepSessionId` ended. False (nothing changed) when the address is taken.
   */
  moveEmail(id: string, newEmail: string, now: Date, keepSessionId?: string): boolean;
  /**
   * The phone code store's half of a right move code (one transaction in the real stores): the new
   * number reserved only while free (a lapsed registration's is) or taken from a holder that has not
   * proven it (released as by a claim: `takenFrom`, for its notice), the old one released, the
   * number replaced and verified. Nothing changes unless `moved`.
   */
  movePhone(id: string, newPhone: string, now: Date): { outcome: 'moved'; takenFrom?: { id: string; email: string } } | { outcome: 'taken' | 'gone' };
  /** The phone code store's half of a right code (one step in the real stores); false if the patient is gone. */
  markPhoneVerified(id: string, now: Date): boolean;
  /** Phone claim codes by claim key: kept here because a registration spends one in its own step (createPatient). */
  claims: Map<string, PhoneClaimRecord & { failures: number }>;
  /**
   * Each patient's newest email-move link digest (the real stores' email_move_token_hash, on the
   * patient): the contact-move fake sets and reads it; a password reset, change or close forgets it.
   */
  newestEmailMove: Map<string, string>;
}

/**
 * Patients, their email and phone reservations, tokens and the newest token per patient, in memory,
 * by the PatientRepository contract: each method runs without an await in between, so it is atomic
 * the way the real stores' transactions are. Identifiers are compared exactly as given: normalizing
 * is the use case's job, and a fake that did it would hide a use case that forgot. A lapsed
 * registration reads as absent, as in the real stores, until removeLapsedRegistrations removes it
 * with its tokens and mail; a new registration takes its email and phone over. `clock` is the store's
 * own clock, for the methods that take no `now` (the use-case tests pass their fixed clock).
 */
export function createInMemoryPatientRepository(
  outbox: InMemoryOutbox, clock: Clock = { now: () => new Date() }, sessions?: Pick<InMemorySessionStore, 'endFamilies'>,
): InMemoryPatientRepository {
  const patients = new Map<string, PatientRecord>();
  const byEmail = new Map<string, string>();
  const byPhone = new Map<string, string>();
  const tokens = new Map<string, TokenRow>();
  const newestToken = new Map<string, string>();
  const resetTokens = new Map<string, TokenRow>();
  const newestResetToken = new Map<string, string>();
  // The newest links' seeds, kept on the patient by the real stores (verification_link_*, reset_link_*).
  const verificationLinks = new Map<string, LiveLink>();
  const resetLinks = new Map<string, LiveLink>();
  const claims = new Map<string, PhoneClaimRecord & { failures: number }>();
  const newestEmailMove = new Map<string, string>();
  const linkOf = (token: { tokenHash: string; seed: string; expiresAt: Date }): LiveLink => ({ tokenHash: token.tokenHash, seed: token.seed, expiresAt: token.expiresAt });

  const live = (id: string | undefined, now = clock.now()) => {
    const patient = patients.get(id ?? '');
    return patient && !lapsed(patient, now) ? patient : undefined;
  };
  function remove(patient: PatientRecord): void {
    patients.delete(patient.id);
    if (byEmail.get(patient.email) === patient.id) byEmail.delete(patient.email);
    if (byPhone.get(patient.phone_number) === patient.id) byPhone.delete(patient.phone_number);
    for (const [hash, token] of tokens) if (token.patientId === patient.id) tokens.delete(hash);
    newestToken.delete(patient.id);
    for (const [hash, token] of resetTokens) if (token.patientId === patient.id) resetTokens.delete(hash);
    newestResetToken.delete(patient.id);
    verificationLinks.delete(patient.id);
    resetLinks.delete(patient.id);
    outbox.forgetPatient(patient.id);
  }

  /** An unproven number taken from its holder (issue 19 item 4): flagged released; its reservation is the taker's to set. */
  function releasePhone(holder: PatientRecord, now: Date): void {
    Object.assign(holder, { phone_number_released: true, updated_at: now.toISOString() });
  }

  /** A never-verified registration's mailbox proven by a reset (issue 20): what the registrant typed goes. */
  function takeBack(patient: PatientRecord): TakenBack {
    const deleted: TakenBack['deleted'] = [];
    for (const field of ['medical_history', 'insurance_info'] as const) if (patient.encrypted?.ciphertexts[field] !== undefined) deleted.push(field);
    if (patient.emergency_contact) deleted.push('emergency_contact');
    delete patient.encrypted;
    delete patient.emergency_contact;
    const phoneReleased = !patient.phone_verified && !patient.phone_number_released;
    if (phoneReleased) {
      patient.phone_number_released = true;
      if (byPhone.get(patient.phone_number) === patient.id) byPhone.delete(patient.phone_number);
    }
    patient.profile_review_required = true;
    return { deleted, phoneReleased };
  }

  return {
    readPatient: (id) => structuredClone(patients.get(id)),
    patients: () => [...patients.values()].map((p) => structuredClone(p)),
    setActive: (id, active) => {
      patients.get(id)!.is_active = active;
    },
    readLive: (id, now) => live(id, now),
    moveEmail: (id, newEmail, now, keepSessionId) => {
      const patient = live(id, now);
      const holder = patients.get(byEmail.get(newEmail) ?? '');
      if (!patient || (holder && !lapsed(holder, now))) return false;
      if (holder) remove(holder);
      byEmail.delete(patient.email);
      byEmail.set(newEmail, id);
      Object.assign(patient, { email: newEmail, email_verified: true, updated_at: now.toISOString() });
      sessions?.endFamilies(id, now, keepSessionId);
      return true;
    },
    movePhone: (id, newPhone, now) => {
      const patient = live(id, now);
      if (!patient?.is_active) return { outcome: 'gone' };
      const holder = patients.get(byPhone.get(newPhone) ?? '');
      const other = holder && holder.id !== id ? holder : undefined;
      const liveHolder = other && !lapsed(other, now) ? other : undefined;
      // Possession wins (issue 19 item 4): a live holder keeps the number only once it proved it.
      if (liveHolder?.phone_verified) return { outcome: 'taken' };
      if (liveHolder) releasePhone(liveHolder, now);
      else if (other) remove(other);
      // A released number (issue 19 item 4) is its proven owner's reservation now: not this patient's to free.
      if (!patient.phone_number_released) byPhone.delete(patient.phone_number);
      delete patient.phone_number_released;
      byPhone.set(newPhone, id);
      Object.assign(patient, { phone_number: newPhone, phone_verified: true, updated_at: now.toISOString() });
      return { outcome: 'moved', ...(liveHolder && { takenFrom: { id: liveHolder.id, email: liveHolder.email } }) };
    },
    claims,
    newestEmailMove,
    markPhoneVerified: (id, now) => {
      const patient = live(id, now);
      // A released number is no longer this patient's to prove.
      if (patient?.phone_number_released) return false;
      if (patient) Object.assign(patient, { phone_verified: true, updated_at: now.toISOString() });
      return patient !== undefined;
    },

    async findTakenIdentifiers(email, phone) {
      return { email: live(byEmail.get(email)) !== undefined, phone: live(byPhone.get(phone)) !== undefined };
    },

    async findPhoneHolder(phone) {
      const holder = live(byPhone.get(phone));
      return holder && { id: holder.id, email: holder.email, phone_verified: holder.phone_verified };
    },

    async createPatient(patient, token, mail, takeover) {
      const holder = live(byPhone.get(patient.phone_number));
      // With a takeover, the number is free for this patient only while the named holder still holds it unproven.
      const takesOver = takeover?.holder !== undefined && holder?.id === takeover.holder.id && !holder.phone_verified;
      const clashes = { email: live(byEmail.get(patient.email)) !== undefined, phone: holder !== undefined && !takesOver };
      if (clashes.email || clashes.phone) throw new DuplicateRegistrationError(clashes);
      if (takeover) {
        const claim = claims.get(takeover.claimKey);
        const spendable = claim && claim.codeId === takeover.codeId && claim.failures < takeover.maxWrongTries && second(claim.expiresAt) > second(takeover.now);
        if (!spendable) throw new PhoneClaimCodeError('none');
        claims.delete(takeover.claimKey);
      }
      if (takesOver) {
        releasePhone(holder!, takeover!.now);
        outbox.add(takeover!.holder!.notice);
      }
      patients.set(patient.id, structuredClone(patient));
      byEmail.set(patient.email, patient.id);
      byPhone.set(patient.phone_number, patient.id);
      tokens.set(token.tokenHash, { patientId: token.patientId, expiresAt: token.expiresAt, used: false });
      newestToken.set(patient.id, token.tokenHash);
      verificationLinks.set(patient.id, linkOf(token));
      outbox.add(mail);
    },

    async consumeVerificationToken(tokenHash, now) {
      const token = tokens.get(tokenHash);
      if (!token) return { outcome: 'unknown' };
      const patient = live(token.patientId, now);
      if (!patient) return { outcome: 'unknown' };
      if (token.used) return { outcome: 'used' };
      if (second(token.expiresAt) <= second(now)) return { outcome: 'expired' };
      if (newestToken.get(token.patientId) !== tokenHash) return { outcome: 'superseded' };
      token.used = true;
      verificationLinks.delete(patient.id);
      Object.assign(patient, { email_verified: true, updated_at: now.toISOString() });
      delete patient.lapses_at; // a verified email never lapses
      return { outcome: 'verified', patientId: token.patientId };
    },

    async findPatientByEmail(email) {
      const patient = live(byEmail.get(email));
      if (!patient) return undefined;
      return {
        id: patient.id,
        first_name: patient.first_name,
        email: patient.email,
        phone_number: patient.phone_number,
        registration_key: patient.registration_key,
        registration_fingerprint: patient.registration_fingerprint,
        email_verified: patient.email_verified,
        verification_token_hash: newestToken.get(patient.id),
        ...(verificationLinks.has(patient.id) && { verification_link: { ...verificationLinks.get(patient.id)! } }),
        ...(resetLinks.has(patient.id) && { reset_link: { ...resetLinks.get(patient.id)! } }),
      };
    },

    async findCredentials(email) {
      const patient = live(byEmail.get(email));
      if (!patient) return undefined;
      const { id, password_hash, email_verified, is_active } = patient;
      return { id, password_hash, email_verified, is_active };
    },

    async getPatient(id) {
      return structuredClone(live(id));
    },

    async replacePasswordHash(patientId, expected, next, now) {
      const patient = live(patientId, now);
      if (!patient || patient.password_hash !== expected) return false;
      Object.assign(patient, { password_hash: next, updated_at: now.toISOString() });
      return true;
    },

    async changePassword({ patientId, expectedHash, passwordHash, keepSessionId, notice, now }) {
      const patient = live(patientId, now);
      if (!patient || !patient.is_active || patient.password_hash !== expectedHash) return false;
      Object.assign(patient, { password_hash: passwordHash, updated_at: now.toISOString() });
      newestResetToken.delete(patientId); // every outstanding reset link now reads "superseded"
      newestEmailMove.delete(patientId); // and so does a pending email move's
      sessions?.endFamilies(patientId, now, keepSessionId);
      outbox.add(notice);
      return true;
    },

    async closeAccount({ patientId, expectedHash, notice, now }) {
      const patient = live(patientId, now);
      if (!patient || !patient.is_active || patient.password_hash !== expectedHash) return false;
      Object.assign(patient, { is_active: false, updated_at: now.toISOString() });
      newestResetToken.delete(patientId); // only a link asked for after the close reopens the account
      newestEmailMove.delete(patientId); // a pending email move ends: a reset reopening the account must not find it usable
      sessions?.endFamilies(patientId, now);
      outbox.add(notice);
      return true;
    },

    async findVerificationToken(tokenHash) {
      const token = tokens.get(tokenHash);
      return token && live(token.patientId) ? { patientId: token.patientId } : undefined;
    },

    async removeLapsedRegistrations(now) {
      const gone = [...patients.values()].filter((patient) => lapsed(patient, now));
      for (const patient of gone) remove(patient);
      return gone.length;
    },

    async issueResetToken(token, mail) {
      const patient = live(token.patientId);
      if (!patient) return false;
      resetTokens.set(token.tokenHash, { patientId: token.patientId, expiresAt: token.expiresAt, used: false });
      newestResetToken.set(patient.id, token.tokenHash);
      resetLinks.set(patient.id, linkOf(token));
      outbox.add(mail);
      return true;
    },

    async findResetToken(tokenHash) {
      const token = resetTokens.get(tokenHash);
      return token && live(token.patientId) ? { patientId: token.patientId } : undefined;
    },

    async resetPassword({ tokenHash, passwordHash, notice, now }) {
      const token = resetTokens.get(tokenHash);
      const patient = token && live(token.patientId, now);
      if (!token || !patient) return { outcome: 'unknown' };
      if (token.used) return { outcome: 'used' };
      if (second(token.expiresAt) <= second(now)) return { outcome: 'expired' };
      if (newestResetToken.get(patient.id) !== tokenHash) return { outcome: 'superseded' };
      token.used = true;
      resetLinks.delete(patient.id);
      newestEmailMove.delete(patient.id); // the pending email move ends with the old password
      const takenBack = patient.email_verified ? undefined : takeBack(patient);
      // The link proved the mailbox: the email is verified, and a verified email never lapses.
      // A closed account is reopened: proving the mailbox is how its patient comes back.
      Object.assign(patient, { password_hash: passwordHash, email_verified: true, is_active: true, updated_at: now.toISOString() });
      delete patient.lapses_at;
      sessions?.endFamilies(patient.id, now);
      outbox.add(notice);
      return { outcome: 'reset', patientId: patient.id, ...(takenBack && { takenBack }) };
    },

    async updateProfile({ patientId, expectedUpdatedAt, updatedAt, profile, encrypted, notice, reviewConfirmed }) {
      const patient = live(patientId);
      if (!patient || !patient.is_active || patient.updated_at !== expectedUpdatedAt) return false;
      if (reviewConfirmed) delete patient.profile_review_required;
      const { emergency_contact: contact, ...fields } = profile;
      Object.assign(patient, structuredClone(fields), { updated_at: updatedAt });
      if (contact) patient.emergency_contact = structuredClone(contact);
      else delete patient.emergency_contact;
      if (encrypted) patient.encrypted = structuredClone(encrypted);
      else if (encrypted === null) delete patient.encrypted;
      if (notice) outbox.add(notice);
      return true;
    },

    async linkState(kind, tokenHash, now) {
      const [rows, newest] = kind === 'verification' ? [tokens, newestToken] : [resetTokens, newestResetToken];
      const token = rows.get(tokenHash);
      if (!token || !live(token.patientId, now)) return 'unknown';
      if (token.used) return 'used';
      if (second(token.expiresAt) <= second(now)) return 'expired';
      return newest.get(token.patientId) === tokenHash ? 'usable' : 'superseded';
    },

    async replaceVerificationToken(contact, token, mail) {
      const patient = live(contact.id);
      // Compare-and-set on the newest digest, as the real stores do.
      if (!patient || patient.email_verified || newestToken.get(patient.id) !== contact.verification_token_hash) return false;
      tokens.set(token.tokenHash, { patientId: token.patientId, expiresAt: token.expiresAt, used: false });
      newestToken.set(patient.id, token.tokenHash);
      verificationLinks.set(patient.id, linkOf(token));
      patient.updated_at = mail.createdAt;
      outbox.add(mail);
      return true;
    },
  };
}
