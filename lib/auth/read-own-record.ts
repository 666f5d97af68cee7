import { InvalidAccessTokenError, SignInRefusedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Address, EmergencyContact, FieldCipher, PatientRecord, PatientRepository } from '../patient/ports.js';
import type { Gender } from '../patient/registration-schema.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import type { VerifiedAccessToken } from './ports.js';
import { requireMultiFactor } from './step-up.js';

export interface ReadOwnRecordDeps {
  repository: PatientRepository;
  cipher: FieldCipher;
  auditor: AuditRecorder;
  /** The stage's REQUIRE_MFA: the record only for an AAL2 sign-in (issue 21). */
  requireMfa?: boolean;
}

/** The spec's patient schema without password_hash: what GET /me discloses, decrypted. */
export interface PatientView {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  /** null once the number was released (taken over by the owner who proved it: issue 19 item 4). */
  phone_number: string | null;
  date_of_birth: string;
  gender: Gender;
  address: Address;
  emergency_contact?: EmergencyContact;
  medical_history?: string[];
  insurance_info?: { provider: string; policy_number: string };
  email_verified: boolean;
  phone_verified: boolean;
  /** Present (true) only when the number was released: the patient adds a new number in the account. */
  phone_number_released?: true;
  /** Present (true) after a taken-back account's reset (issue 20), until a PATCH /me names all the reviewed fields. */
  profile_review_required?: true;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

/**
 * GET /me: the caller's own record, the only place patient data is decrypted. The read is audited
 * (with the names of the fields disclosed) before the answer leaves: a read that cannot be audited
 * is not answered.
 */
export async function readOwnRecord(caller: VerifiedAccessToken, context: RequestContext, deps: ReadOwnRecordDeps): Promise<PatientView> {
  requireMultiFactor(caller, deps.requireMfa === true);
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (a lapsed registration): the token is what is wrong.
  if (!patient) throw new InvalidAccessTokenError('unknown_subject');
  if (!patient.is_active) {
    await deps.auditor.record(context, { action: 'record_read', outcome: 'failure', reason: 'inactive', patientId: patient.id });
    throw new SignInRefusedError('inactive');
  }
  const view = await toView(patient, deps.cipher);
  await deps.auditor.record(context, { action: 'record_read', outcome: 'success', patientId: patient.id, fields: Object.keys(view) });
  logger.info('record read', { outcome: 'success', patientId: patient.id });
  return view;
}

export async function toView(patient: PatientRecord, cipher: FieldCipher): Promise<PatientView> {
  const decrypted = patient.encrypted ? await cipher.decryptFields(patient.id, patient.encrypted) : {};
  return {
    id: patient.id,
    first_name: patient.first_name,
    last_name: patient.last_name,
    email: patient.email,
    // A released number is kept only for the stores' constraints: never shown as this patient's.
    phone_number: patient.phone_number_released ? null : patient.phone_number,
    date_of_birth: patient.date_of_birth,
    gender: patient.gender,
    address: patient.address,
    ...(patient.emergency_contact && { emergency_contact: patient.emergency_contact }),
    ...(decrypted.medical_history !== undefined && { medical_history: decrypted.medical_history as string[] }),
    ...(decrypted.insurance_info !== undefined && { insurance_info: decrypted.insurance_info as PatientView['insurance_info'] }),
    email_verified: patient.email_verified,
    phone_verified: patient.phone_number_released ? false : patient.phone_verified,
    ...(patient.phone_number_released && { phone_number_released: true as const }),
    ...(patient.profile_review_required && { profile_review_required: true as const }),
    is_active: patient.is_active,
    created_at: patient.created_at,
    updated_at: patient.updated_at,
  };
}
