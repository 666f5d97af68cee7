import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Es256KeySource } from '../../auth/ports.js';
import { createInMemoryEs256KeySource } from '../crypto/in-memory-es256-key-source.js';
import { readOrCreateSecretFile } from './local-secret-file.js';

/**
 * Stand-in for the KMS-wrapped signing key on a developer machine (there is no KMS emulator): the
 * same in-memory signer, with the key read from a file instead of unwrapped by KMS.
 */
export function createLocalEs256KeySource(privateKey: KeyObject): Es256KeySource {
  return createInMemoryEs256KeySource(privateKey);
}

/** LOCAL_ACCESS_TOKEN_KEY (a PKCS#8 PEM) if given, else a P-256 key generated once into an ignored file. */
export function loadLocalEs256Key(fromEnv: string | undefined, file: string): KeyObject {
  if (fromEnv !== undefined) return createPrivateKey(fromEnv);
  const pem = readOrCreateSecretFile(file, () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  return createPrivateKey(pem);
}
