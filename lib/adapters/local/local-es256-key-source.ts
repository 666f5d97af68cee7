import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readOrCreateSecretFile } from './local-secret-file.js';
import type { Es256KeySource } from '../../auth/ports.js';

/** Stand-in for the KMS signing key on a developer machine (there is no KMS emulator). */
export function createLocalEs256KeySource(privateKey: KeyObject): Es256KeySource {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('The local access-token key must be a P-256 private key');
  }
  const publicKey = createPublicKey(privateKey);
  return {
    // ieee-p1363 is r‖s, the form a JWS carries; KMS gives DER and its adapter converts.
    async sign(signingInput) {
      return sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    },
    async publicKey() {
      return publicKey;
    },
  };
}

/** LOCAL_ACCESS_TOKEN_KEY (a PKCS#8 PEM) if given, else a P-256 key generated once into an ignored file. */
export function loadLocalEs256Key(fromEnv: string | undefined, file: string): KeyObject {
  if (fromEnv !== undefined) return createPrivateKey(fromEnv);
  const pem = readOrCreateSecretFile(file, () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  return createPrivateKey(pem);
}
