import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { callAws } from '../aws-errors.js';
import type { DataKeySource } from '../crypto/data-key-source.js';

/**
 * Data keys from AWS KMS. Registration calls only GenerateDataKey; Decrypt is here for tests and
 * later read paths and is not granted to the register function.
 */
export function createKmsDataKeySource(kms: KMSClient, keyId: string): DataKeySource {
  return {
    async generateDataKey(context) {
      const out = await callAws('kms', () =>
        kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context })),
      );
      if (!out.Plaintext || !out.CiphertextBlob || !out.KeyId) throw new Error('KMS returned an incomplete data key');
      // A view, not a copy: zeroing it after use clears the only plaintext copy of the key.
      const plaintext = Buffer.from(out.Plaintext.buffer, out.Plaintext.byteOffset, out.Plaintext.byteLength);
      return { plaintext, wrapped: Buffer.from(out.CiphertextBlob), keyId: out.KeyId };
    },

    async decryptDataKey(wrapped, wrappingKeyId, context) {
      const out = await callAws('kms', () =>
        kms.send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: wrappingKeyId, EncryptionContext: context })),
      );
      if (!out.Plaintext) throw new Error('KMS returned no plaintext');
      return Buffer.from(out.Plaintext.buffer, out.Plaintext.byteOffset, out.Plaintext.byteLength);
    },
  };
}
