import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { Es256KeySource } from '../../auth/ports.js';

/**
 * Signs in process with a P-256 private key held in memory: in AWS the key unwrapped once per cold
 * start (../kms/kms-wrapped-signing-key.ts), locally the key file. A signature costs microseconds
 * of CPU and no network call, so no KMS quota bounds sign-ins.
 */
export function createInMemoryEs256KeySource(privateKey: KeyObject): Es256KeySource {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('An access-token signing key must be a P-256 private key');
  }
  const publicKey = createPublicKey(privateKey);
  return {
    // ieee-p1363 is r‖s, the form a JWS carries.
    async sign(signingInput) {
      return sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    },
    async publicKey() {
      return publicKey;
    },
  };
}
