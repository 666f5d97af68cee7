import { DuplicateRegistrationError } from '../../errors.js';
import type { LiveLink, PatientContact, PatientRecord, ProfileWrite } from '../../patient/ports.js';

/** The encrypted fields the schema has a ciphertext column for; any other name is a programming error. */
const CIPHERTEXT_COLUMNS: Record<string, string> = {
  medical_history: 'medical_history_ciphertext',
  insurance_info: 'insurance_info_ciphertext',
};

const bytes = (base64: string) => Buffer.from(base64, 'base64');

/**
 * A patient as the columns of the patients table (address and emergency contact flattened), the same
 * in PostgreSQL and MySQL; timestamps are ISO text, which an adapter converts where its driver needs.
 */
export function toPatientRow(patient: PatientRecord): Record<string, unknown> {
  const { emergency_contact: contact, encrypted, ...fields } = patient;
  return {
    id: patient.id,
    email: patient.email,
    phone_number: patient.phone_number,
    password_hash: patient.password_hash,
    // The profile's columns as PATCH /me writes them: one mapping of names, address and contact.
    ...profileColumns({ profile: { ...fields, emergency_contact: contact ?? null }, encrypted: encrypted ?? null }),
    email_verified: patient.email_verified,
    phone_verified: patient.phone_verified,
    is_active: patient.is_active,
    created_at: patient.created_at,
    updated_at: patient.updated_at,
    registration_key: patient.registration_key ?? null,
    registration_fingerprint: patient.registration_fingerprint ?? null,
    lapses_at: patient.lapses_at ?? null,
  };
}

/**
 * The columns PATCH /me sets (the same in PostgreSQL and MySQL): the whole profile, a removed contact
 * as NULLs, and, when the patient data was re-encrypted, its ciphertexts and wrapped key (NULL for a
 * field no longer held). updated_at is the adapter's, which converts it where its driver needs.
 */
export function profileColumns({ profile, encrypted }: Pick<ProfileWrite, 'profile' | 'encrypted'>): Record<string, unknown> {
  const { address, emergency_contact: contact } = profile;
  const columns: Record<string, unknown> = {
    first_name: profile.first_name,
    last_name: profile.last_name,
    date_of_birth: profile.date_of_birth,
    gender: profile.gender,
    address_street: address.street,
    address_city: address.city,
    address_state: address.state,
    address_zip: address.zip,
    address_country: address.country,
    emergency_contact_name: contact?.name ?? null,
    emergency_contact_phone: contact?.phone ?? null,
    emergency_contact_relationship: contact?.relationship ?? null,
  };
  if (encrypted !== undefined) {
    columns.phi_key_id = encrypted?.keyId ?? null;
    columns.phi_wrapped_key = encrypted ? bytes(encrypted.wrappedKey) : null;
    for (const field of Object.keys(encrypted?.ciphertexts ?? {})) {
      if (!CIPHERTEXT_COLUMNS[field]) throw new Error(`no ciphertext column for encrypted field "${field}"`);
    }
    for (const [field, column] of Object.entries(CIPHERTEXT_COLUMNS)) {
      const ciphertext = encrypted?.ciphertexts[field];
      columns[column] = ciphertext === undefined ? null : bytes(ciphertext);
    }
  }
  return columns;
}

const iso = (value: unknown) => new Date(value as string | Date).toISOString();
const base64 = (value: unknown) => Buffer.from(value as Uint8Array).toString('base64');

/**
 * The inverse of toPatientRow, for a row that carries date_of_birth as 'YYYY-MM-DD' text in birth_date,
 * booleans as booleans, timestamps as Date or ISO text and ciphertexts as bytes (each adapter's SELECT does).
 */
export function fromPatientRow(row: Record<string, any>): PatientRecord {
  const ciphertexts: Record<string, string> = {};
  for (const [field, column] of Object.entries(CIPHERTEXT_COLUMNS)) {
    if (row[column] != null) ciphertexts[field] = base64(row[column]);
  }
  return {
    id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    phone_number: row.phone_number,
    password_hash: row.password_hash,
    date_of_birth: row.birth_date,
    gender: row.gender,
    address: { street: row.address_street, city: row.address_city, state: row.address_state, zip: row.address_zip, country: row.address_country },
    ...(row.emergency_contact_name != null && {
      emergency_contact: {
        name: row.emergency_contact_name,
        phone: row.emergency_contact_phone,
        ...(row.emergency_contact_relationship != null && { relationship: row.emergency_contact_relationship }),
      },
    }),
    ...(row.phi_key_id != null && { encrypted: { keyId: row.phi_key_id, wrappedKey: base64(row.phi_wrapped_key), ciphertexts } }),
    email_verified: row.email_verified,
    phone_verified: row.phone_verified,
    is_active: row.is_active,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    ...(row.registration_key != null && { registration_key: row.registration_key }),
    ...(row.registration_fingerprint != null && { registration_fingerprint: row.registration_fingerprint }),
    ...(row.lapses_at != null && { lapses_at: iso(row.lapses_at) }),
    // MySQL answers 0/1, PostgreSQL a boolean.
    ...(Number(row.phone_number_released) === 1 && { phone_number_released: true }),
    ...(Number(row.profile_review_required) === 1 && { profile_review_required: true }),
  };
}

/** The columns findPatientByEmail reads (CONTACT_COLUMNS), NULL where a patient has none. */
export type ContactRow = Omit<PatientContact, 'verification_token_hash' | 'registration_key' | 'registration_fingerprint' | 'verification_link' | 'reset_link'> & {
  verification_token_hash: string | null; registration_key: string | null; registration_fingerprint: string | null;
  reset_token_hash: string | null;
  verification_link_seed: string | null; verification_link_expires_at: Date | string | null;
  reset_link_seed: string | null; reset_link_expires_at: Date | string | null;
};
export const CONTACT_COLUMNS = 'id, first_name, email, phone_number, email_verified, verification_token_hash, registration_key, registration_fingerprint, '
  + 'reset_token_hash, verification_link_seed, verification_link_expires_at, reset_link_seed, reset_link_expires_at';

/** A newest link the patient keeps (digest, seed and expiry: lib/patient/link-token.ts), when it has all three. */
function liveLink(tokenHash: string | null, seed: string | null, expiresAt: Date | string | null): LiveLink | undefined {
  return tokenHash && seed && expiresAt ? { tokenHash, seed, expiresAt: new Date(expiresAt) } : undefined;
}

/** A contact row as the port answers it: NULLs as absent. */
export function toPatientContact(row: ContactRow): PatientContact {
  const { reset_token_hash, verification_link_seed, verification_link_expires_at, reset_link_seed, reset_link_expires_at, ...contact } = row;
  const verificationLink = liveLink(row.verification_token_hash, verification_link_seed, verification_link_expires_at);
  const resetLink = liveLink(reset_token_hash, reset_link_seed, reset_link_expires_at);
  return {
    ...contact,
    verification_token_hash: row.verification_token_hash ?? undefined,
    registration_key: row.registration_key ?? undefined,
    registration_fingerprint: row.registration_fingerprint ?? undefined,
    ...(verificationLink && { verification_link: verificationLink }),
    ...(resetLink && { reset_link: resetLink }),
  };
}

/** What forgets a patient's link once used: a used link is never sent again. */
export const FORGET_VERIFICATION_LINK = 'verification_link_seed = NULL, verification_link_expires_at = NULL';
export const FORGET_RESET_LINK = 'reset_link_seed = NULL, reset_link_expires_at = NULL';
/**
 * What ends a pending email move (its link then reads "superseded"): a password reset, change or close,
 * as the email_move_requested notice promises ("Forgot password ends every session and the pending change").
 */
export const END_EMAIL_MOVE = 'email_move_token_hash = NULL';

/** The unique constraint / index names (both SQL stores' migrations) that mean "already registered". */
const EMAIL_UNIQUE = 'patients_email_unique';
const PHONE_UNIQUE = 'patients_phone_number_unique';

/**
 * The DuplicateRegistrationError for a unique violation named `violated`, or undefined when it is not
 * a registration clash. Both SQL stores name only the first violated one; DynamoDB names every clash,
 * so `taken` (asked of the store after the failure) fills in the other.
 */
export async function registrationClash(violated: string | undefined, taken: () => Promise<{ email: boolean; phone: boolean }>) {
  if (violated !== EMAIL_UNIQUE && violated !== PHONE_UNIQUE) return undefined;
  const found = await taken();
  return new DuplicateRegistrationError({ email: found.email || violated === EMAIL_UNIQUE, phone: found.phone || violated === PHONE_UNIQUE });
}
