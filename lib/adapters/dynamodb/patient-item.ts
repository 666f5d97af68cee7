import type { PatientRecord } from '../../patient/ports.js';
import { keys } from './keys.js';

/**
 * The stored shape of a patient: every field of the spec's schema. medical_history and
 * insurance_info hold ciphertext (base64), never plaintext; phi_key holds the KMS-wrapped data key.
 */
export function toPatientItem(patient: PatientRecord): Record<string, unknown> {
  const { encrypted, ...fields } = patient;
  return {
    ...keys.patient(patient.id),
    entity: 'patient',
    ...fields,
    ...(encrypted && {
      ...encrypted.ciphertexts,
      phi_key: { key_id: encrypted.keyId, wrapped_key: encrypted.wrappedKey, algorithm: 'AES-256-GCM' },
    }),
  };
}
