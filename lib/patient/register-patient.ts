import { randomUUID } from 'node:crypto';
import { DuplicateRegistrationError } from '../errors.js';
import { logger } from '../logging/logger.js';
import { normalizeEmail, normalizePhone } from './normalize.js';
import type { Clock, FieldCipher, PasswordHasher, PatientRecord, PatientRepository } from './ports.js';
import type { RegistrationRequest } from './registration-schema.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { newVerification } from './verification-token.js';
import { checkPhoneClaim } from '../phone/phone-claim.js';
import type { PhoneVerificationStore } from '../phone/ports.js';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';

export interface RegisterPatientDeps {
  repository: PatientRepository;
  cipher: FieldCipher;
  hasher: PasswordHasher;
  clock: Clock;
  verifyUrlBase: string;
  /** Keyed digests: here, the key the verification link's token is derived with. */
  identifiers: IdentifierDigests;
  /**
   * How long an unverified registration holds its email and phone: unverified by then, it lapses and
   * both are free again, so a squatter cannot keep someone else's address (UNVERIFIED_LAPSE_DAYS).
   */
  registrationLapseMs: number;
  /** Where phone claim codes are checked (a registration with `phone_claim_code`, issue 19 item 4). */
  phoneCodes: PhoneVerificationStore;
  /** The holder's trail records a takeover of its number (its record changed by someone else). */
  auditor: AuditRecorder;
}

export interface RegisteredPatient {
  patient_id: string;
  email: string;
  phone_number: string;
  email_verified: false;
  phone_verified: boolean;
}

export interface RegistrationOutcome {
  patient: RegisteredPatient;
}

/** The Idempotency-Key a request carries, with the fingerprint of the body it was sent with. */
export interface RegistrationAttempt {
  key: string;
  fingerprint: string;
}

/**
 * Registers a validated request. Ordering matters for cost and safety: duplicates are refused before
 * the deliberate bcrypt cost is paid; patient data is encrypted before anything is written; the mail
 * is written to the outbox in the same transaction, and the answer comes right after the commit. The
 * outbox mailer sends it (triggered by the table's stream; the sweep retries a failed send), so the
 * request never waits for, or fails with, the mail service.
 */
export async function registerPatient(
  request: RegistrationRequest,
  deps: RegisterPatientDeps,
  attempt?: RegistrationAttempt,
  context: RequestContext = {},
): Promise<RegistrationOutcome> {
  const email = normalizeEmail(request.email);
  const phone = normalizePhone(request.phone_number) ?? request.phone_number;

  const taken = await deps.repository.findTakenIdentifiers(email, phone);
  const claimCode = request.phone_claim_code ?? undefined;
  if (taken.email || (taken.phone && !claimCode)) {
    const earlier = attempt && taken.email && taken.phone ? await registeredBy(attempt, email, phone, deps) : undefined;
    if (earlier) return earlier;
    throw new DuplicateRegistrationError(taken);
  }

  const id = randomUUID();
  // A claim code is judged before the password is hashed: a wrong one costs a counted try, never bcrypt.
  const takeover = claimCode ? await checkPhoneClaim(phone, claimCode, deps, id) : undefined;
  if (takeover === 'proven') throw new DuplicateRegistrationError({ email: false, phone: true });
  const now = deps.clock.now();
  // What does not need the hash is done while it runs: the encryption and the verification link.
  const [passwordHash, encrypted, { token, mail }] = await Promise.all([
    deps.hasher.hash(request.password),
    encryptPatientData(id, request, deps.cipher),
    newVerification({ id, email, first_name: request.first_name }, now, deps.verifyUrlBase, deps.identifiers),
  ]);

  const patient: PatientRecord = {
    id,
    first_name: request.first_name,
    last_name: request.last_name,
    email,
    phone_number: phone,
    password_hash: passwordHash,
    date_of_birth: request.date_of_birth,
    gender: request.gender,
    address: { ...request.address, country: request.address.country ?? 'US' },
    ...(request.emergency_contact && { emergency_contact: normalizeContact(request.emergency_contact) }),
    ...(encrypted && { encrypted }),
    email_verified: false,
    // The claim code just proved the number.
    phone_verified: takeover !== undefined,
    is_active: true,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    lapses_at: new Date(now.getTime() + deps.registrationLapseMs).toISOString(),
    ...(attempt && { registration_key: attempt.key, registration_fingerprint: attempt.fingerprint }),
  };

  await deps.repository.createPatient(patient, token, mail, takeover);
  logger.info('patient registered', { patientId: id, ...(takeover && { reason: 'phone_claimed' }) });
  if (takeover?.holder) {
    logger.info('phone number taken over from its unproven holder', { patientId: takeover.holder.id });
    // In the holder's own trail (its record changed by someone else): the field, never the number.
    await deps.auditor.record(context, { action: 'record_update', outcome: 'success', reason: 'phone_taken_over', patientId: takeover.holder.id, fields: ['phone_number'] });
  }
  return { patient: { patient_id: id, email, phone_number: phone, email_verified: false, phone_verified: patient.phone_verified } };
}

/**
 * The retry of a request that registered this very patient with the same Idempotency-Key and the
 * same body, committed, and never answered (it crashed or timed out): the registration stands, so
 * the answer is its 201. Another body under the same key is another request, even once the key's
 * idempotency record has expired. The mail is the outbox's business and goes out regardless.
 */
async function registeredBy(attempt: RegistrationAttempt, email: string, phone: string, deps: RegisterPatientDeps): Promise<RegistrationOutcome | undefined> {
  const patient = await deps.repository.findPatientByEmail(email);
  const same = patient?.registration_key === attempt.key && patient.registration_fingerprint === attempt.fingerprint;
  if (!same || patient.phone_number !== phone) return undefined;
  logger.info('registration retry answered from the committed patient', { patientId: patient.id });
  return { patient: { patient_id: patient.id, email, phone_number: phone, email_verified: false, phone_verified: false } };
}

/** Medical history and insurance are the patient data that only ever leave this process encrypted. */
async function encryptPatientData(id: string, request: RegistrationRequest, cipher: FieldCipher) {
  const fields: Record<string, unknown> = {};
  if (request.medical_history) fields.medical_history = request.medical_history;
  if (request.insurance_info) fields.insurance_info = request.insurance_info;
  return Object.keys(fields).length > 0 ? cipher.encryptFields(id, fields) : undefined;
}

export function normalizeContact(contact: NonNullable<RegistrationRequest['emergency_contact']>) {
  return {
    name: contact.name,
    phone: normalizePhone(contact.phone) ?? contact.phone,
    ...(contact.relationship != null && { relationship: contact.relationship }),
  };
}
