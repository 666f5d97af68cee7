import { DuplicateRegistrationError } from '../../../lib/errors.js';
import type { PatientRecord, PatientRepository } from '../../../lib/patient/ports.js';
import type { InMemoryOutbox } from './in-memory-outbox.js';

interface TokenRow {
  patientId: string;
  expiresAt: Date;
  used: boolean;
}

/** Expiry has whole-second resolution in the real stores: expired from the start of expiresAt's second. */
const second = (d: Date) => Math.floor(d.getTime() / 1000);

export interface InMemoryPatientRepository extends PatientRepository {
  /** The patient as stored (the port has no read method; the storage contract needs one). */
  readPatient(id: string): PatientRecord | undefined;
  /** Every stored patient, to assert on what the use case handed over. */
  patients(): PatientRecord[];
  /** Deactivates (or reactivates) a patient: no use case does yet, an operator would. */
  setActive(id: string, active: boolean): void;
}

/**
 * Patients, their email and phone reservations, tokens and the newest token per patient, in memory,
 * by the PatientRepository contract: each method runs without an await in between, so it is atomic
 * the way the real stores' transactions are. Identifiers are compared exactly as given: normalizing
 * is the use case's job, and a fake that did it would hide a use case that forgot.
 */
export function createInMemoryPatientRepository(outbox: InMemoryOutbox): InMemoryPatientRepository {
  const patients = new Map<string, PatientRecord>();
  const byEmail = new Map<string, string>();
  const byPhone = new Map<string, string>();
  const tokens = new Map<string, TokenRow>();
  const newestToken = new Map<string, string>();

  return {
    readPatient: (id) => structuredClone(patients.get(id)),
    patients: () => [...patients.values()].map((p) => structuredClone(p)),
    setActive: (id, active) => {
      patients.get(id)!.is_active = active;
    },

    async findTakenIdentifiers(email, phone) {
      return { email: byEmail.has(email), phone: byPhone.has(phone) };
    },

    async createPatient(patient, token, mail) {
      const clashes = { email: byEmail.has(patient.email), phone: byPhone.has(patient.phone_number) };
      if (clashes.email || clashes.phone) throw new DuplicateRegistrationError(clashes);
      patients.set(patient.id, structuredClone(patient));
      byEmail.set(patient.email, patient.id);
      byPhone.set(patient.phone_number, patient.id);
      tokens.set(token.tokenHash, { patientId: token.patientId, expiresAt: token.expiresAt, used: false });
      newestToken.set(patient.id, token.tokenHash);
      outbox.add(mail);
    },

    async consumeVerificationToken(tokenHash, now) {
      const token = tokens.get(tokenHash);
      if (!token) return { outcome: 'unknown' };
      if (token.used) return { outcome: 'used' };
      if (second(token.expiresAt) <= second(now)) return { outcome: 'expired' };
      if (newestToken.get(token.patientId) !== tokenHash) return { outcome: 'superseded' };
      token.used = true;
      const patient = patients.get(token.patientId)!;
      Object.assign(patient, { email_verified: true, updated_at: now.toISOString() });
      return { outcome: 'verified', patientId: token.patientId };
    },

    async findPatientByEmail(email) {
      const patient = patients.get(byEmail.get(email) ?? '');
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
      };
    },

    async findCredentials(email) {
      const patient = patients.get(byEmail.get(email) ?? '');
      if (!patient) return undefined;
      const { id, password_hash, email_verified, is_active } = patient;
      return { id, password_hash, email_verified, is_active };
    },

    async getPatient(id) {
      return structuredClone(patients.get(id));
    },

    async replacePasswordHash(patientId, expected, next, now) {
      const patient = patients.get(patientId);
      if (!patient || patient.password_hash !== expected) return false;
      Object.assign(patient, { password_hash: next, updated_at: now.toISOString() });
      return true;
    },

    async findVerificationToken(tokenHash) {
      const token = tokens.get(tokenHash);
      return token && { patientId: token.patientId };
    },

    async removeLapsedRegistrations() {
      return 0;
    },

    async replaceVerificationToken(contact, token, mail) {
      const patient = patients.get(contact.id);
      // Compare-and-set on the newest digest, as the real stores do.
      if (!patient || patient.email_verified || newestToken.get(patient.id) !== contact.verification_token_hash) return false;
      tokens.set(token.tokenHash, { patientId: token.patientId, expiresAt: token.expiresAt, used: false });
      newestToken.set(patient.id, token.tokenHash);
      patient.updated_at = mail.createdAt;
      outbox.add(mail);
      return true;
    },
  };
}
