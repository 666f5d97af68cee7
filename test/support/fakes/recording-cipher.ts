import type { EncryptedFields, FieldCipher } from '../../../lib/patient/ports.js';

export const FAKE_KEY_ID = 'fake-key';

/**
 * A reversible stand-in for the envelope cipher that records what it was asked to encrypt. Its
 * "ciphertext" is base64 of the JSON bound to the patient id: no plaintext shows in a stored record,
 * and decrypting for another patient fails, like the AAD-bound real one.
 */
export interface RecordingCipher extends FieldCipher {
  readonly encrypted: { patientId: string; fields: Record<string, unknown> }[];
  /** The patients whose fields were decrypted, in order. */
  readonly decrypted: string[];
}

export function createRecordingCipher(): RecordingCipher {
  const encrypted: RecordingCipher['encrypted'] = [];
  const decrypted: string[] = [];
  const seal = (patientId: string, field: string, value: unknown) => Buffer.from(JSON.stringify({ patientId, field, value })).toString('base64');
  return {
    encrypted,
    decrypted,
    async encryptFields(patientId, fields) {
      encrypted.push({ patientId, fields: structuredClone(fields) });
      const ciphertexts = Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, seal(patientId, field, value)]));
      return { keyId: FAKE_KEY_ID, wrappedKey: `wrapped-for-${patientId}`, ciphertexts };
    },
    async decryptFields(patientId, { keyId, wrappedKey, ciphertexts }: EncryptedFields) {
      if (keyId !== FAKE_KEY_ID || wrappedKey !== `wrapped-for-${patientId}`) throw new Error('not encrypted for this patient');
      decrypted.push(patientId);
      return Object.fromEntries(
        Object.entries(ciphertexts).map(([field, sealed]) => {
          const opened = JSON.parse(Buffer.from(sealed, 'base64').toString('utf8')) as { patientId: string; field: string; value: unknown };
          if (opened.patientId !== patientId || opened.field !== field) throw new Error('not encrypted for this patient and field');
          return [field, opened.value];
        }),
      );
    },
  };
}
