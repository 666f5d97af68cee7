import type { EncryptedFields, FieldCipher } from '../../patient/ports.js';
import { contextAad, open, seal } from './aes-gcm.js';
import type { DataKeySource, EncryptionContext } from './data-key-source.js';

export const PHI_PURPOSE = 'patient-phi';
/**
 * Authenticator-app secrets (issue 21): the same key and envelope as medical data, under a purpose of
 * their own, so the sign-in functions that must decrypt a secret can be granted that and not the PHI.
 */
export const AUTHENTICATOR_SECRET_PURPOSE = 'authenticator-secret';

/** Names the patient, never carries patient data: it is logged in CloudTrail with every KMS call. */
export function phiContext(patientId: string, purpose: string = PHI_PURPOSE): EncryptionContext {
  return { purpose, patient_id: patientId };
}

/**
 * Envelope encryption: one data key per patient (one KMS GenerateDataKey per registration), each
 * field sealed with AES-256-GCM under it, the field name and patient id bound as AAD. The plaintext
 * data key lives only for the duration of the call.
 */
export function createEnvelopeFieldCipher(keys: DataKeySource, purpose: string = PHI_PURPOSE): FieldCipher {
  return {
    async encryptFields(patientId, fields) {
      const context = phiContext(patientId, purpose);
      const dataKey = await keys.generateDataKey(context);
      try {
        const ciphertexts: Record<string, string> = {};
        for (const [name, value] of Object.entries(fields)) {
          const aad = contextAad({ ...context, field: name });
          ciphertexts[name] = seal(dataKey.plaintext, Buffer.from(JSON.stringify(value), 'utf8'), aad).toString('base64');
        }
        return { keyId: dataKey.keyId, wrappedKey: dataKey.wrapped.toString('base64'), ciphertexts };
      } finally {
        dataKey.plaintext.fill(0);
      }
    },

    async decryptFields(patientId, encrypted: EncryptedFields) {
      const context = phiContext(patientId, purpose);
      const key = await keys.decryptDataKey(Buffer.from(encrypted.wrappedKey, 'base64'), encrypted.keyId, context);
      try {
        const fields: Record<string, unknown> = {};
        for (const [name, sealed] of Object.entries(encrypted.ciphertexts)) {
          const aad = contextAad({ ...context, field: name });
          fields[name] = JSON.parse(open(key, Buffer.from(sealed, 'base64'), aad).toString('utf8'));
        }
        return fields;
      } finally {
        key.fill(0);
      }
    },
  };
}
