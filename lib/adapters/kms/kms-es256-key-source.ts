import { createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { Es256KeySource } from '../../auth/ports.js';
import { loadOnce } from '../../load-once.js';
import { callAws } from '../aws-errors.js';
import { derToJoseEs256Signature } from './ecdsa-der-signature.js';

/**
 * Access-token signing with an asymmetric KMS key (ECC_NIST_P256): the private key never leaves KMS.
 * Sign gets the JWS signing input itself (MessageType RAW) and hashes it: a token's few hundred bytes
 * are far below RAW's 4096-byte limit, and no digest of ours can be mistaken for a message (the
 * misuse KMS warns of with DIGEST). CloudTrail records the key, algorithm and message type of a
 * Sign, not the message (KMS developer guide, "Sign" CloudTrail example).
 */
export const KMS_RAW_MESSAGE_LIMIT = 4096;

export function createKmsEs256KeySource(kms: KMSClient, keyId: string): Es256KeySource {
  async function loadPublicKey(): Promise<KeyObject> {
    const out = await callAws('kms', () => kms.send(new GetPublicKeyCommand({ KeyId: keyId })));
    // A wrong key (RSA, P-384, an encryption key) would sign tokens no verifier accepts: fail at start instead.
    if (out.KeySpec !== 'ECC_NIST_P256' || out.KeyUsage !== 'SIGN_VERIFY' || !out.SigningAlgorithms?.includes('ECDSA_SHA_256') || !out.PublicKey) {
      throw new Error('The access-token KMS key must be an ECC_NIST_P256 SIGN_VERIFY key');
    }
    return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
  }

  return {
    // Once per process (cold start); a failed fetch is retried by the next call rather than cached.
    publicKey: loadOnce(loadPublicKey),

    async sign(signingInput) {
      if (signingInput.length > KMS_RAW_MESSAGE_LIMIT) throw new Error('The token is too large for a KMS Sign');
      const out = await callAws('kms', () =>
        kms.send(new SignCommand({ KeyId: keyId, Message: signingInput, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' })),
      );
      if (!out.Signature) throw new Error('KMS returned no signature');
      return derToJoseEs256Signature(out.Signature);
    },
  };
}
