import type { PatientRecord } from '../../patient/ports.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

export const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * The TTL of an unverified registration's items: TTL removes them once lapses_at has passed. Reads
 * treat them as gone from that second on, because TTL deletes only some time after it.
 */
export const lapseTtl = (patient: Pick<PatientRecord, 'lapses_at'>) =>
  patient.lapses_at ? { [TTL_ATTRIBUTE]: epochSeconds(new Date(patient.lapses_at)) } : {};

/** Whether an item with this TTL has lapsed by `nowSeconds` (lapsed from the start of lapses_at's second). */
export const hasLapsed = (item: Record<string, unknown>, nowSeconds: number) =>
  typeof item[TTL_ATTRIBUTE] === 'number' && item[TTL_ATTRIBUTE] <= nowSeconds;

/**
 * The stored shape of a patient: every field of the spec's schema. medical_history and
 * insurance_info hold ciphertext (base64), never plaintext; phi_key holds the KMS-wrapped data key.
 * reservation_pks names the patient's own email and phone reservation items: the verification that
 * removes their TTL must find them even after an identifier-key rotation changed the current keys.
 */
export function toPatientItem(patient: PatientRecord, reservationPks: string[] = []): Record<string, unknown> {
  const { encrypted, ...fields } = patient;
  return {
    ...keys.patient(patient.id),
    entity: 'patient',
    ...fields,
    ...(encrypted && {
      ...encrypted.ciphertexts,
      phi_key: { key_id: encrypted.keyId, wrapped_key: encrypted.wrappedKey, algorithm: 'AES-256-GCM' },
    }),
    ...(reservationPks.length > 0 && { reservation_pks: reservationPks }),
    ...lapseTtl(patient),
  };
}

/** The inverse of toPatientItem: key and bookkeeping attributes dropped, ciphertexts and phi_key folded back. */
export function fromPatientItem(item: Record<string, any>): PatientRecord {
  const {
    pk, sk, entity, phi_key, email_verified_at, phone_verified_at, verification_token_hash, reservation_pks, [TTL_ATTRIBUTE]: ttl,
    reset_token_hash, email_move_token_hash, verification_link_seed, verification_link_expires_at, reset_link_seed, reset_link_expires_at,
    medical_history, insurance_info, ...fields
  } = item;
  const ciphertexts = { ...(medical_history && { medical_history }), ...(insurance_info && { insurance_info }) };
  return {
    ...(fields as PatientRecord),
    ...(phi_key && { encrypted: { keyId: phi_key.key_id, wrappedKey: phi_key.wrapped_key, ciphertexts } }),
  };
}
