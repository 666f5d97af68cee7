import { randomBytes } from 'node:crypto';
import { readOrCreateSecretFile } from './local-secret-file.js';
import { contextAad, open, seal } from '../crypto/aes-gcm.js';
import type { DataKeySource } from '../crypto/data-key-source.js';

export const LOCAL_KEY_ID = 'local-master-key';

/**
 * Stand-in for KMS on a developer machine (there is no KMS emulator): a 256-bit master key wraps
 * each data key with AES-256-GCM, the encryption context as AAD, just as KMS binds it.
 */
export function createLocalDataKeySource(masterKey: Buffer): DataKeySource {
  if (masterKey.length !== 32) throw new Error('The local master key must be 32 bytes');
  return {
    async generateDataKey(context) {
      const plaintext = randomBytes(32);
      return { plaintext, wrapped: seal(masterKey, plaintext, contextAad(context)), keyId: LOCAL_KEY_ID };
    },
    async decryptDataKey(wrapped, keyId, context) {
      if (keyId !== LOCAL_KEY_ID) throw new Error('Data key was not wrapped by the local master key');
      return open(masterKey, wrapped, contextAad(context));
    },
  };
}

/** LOCAL_MASTER_KEY (base64 of 32 bytes) if given, else a key generated once into an ignored file. */
export function loadLocalMasterKey(fromEnv: string | undefined, file: string): Buffer {
  if (fromEnv !== undefined) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) throw new Error('LOCAL_MASTER_KEY must be base64 of 32 bytes');
    return key;
  }
  return Buffer.from(readOrCreateSecretFile(file, () => randomBytes(32).toString('base64')).trim(), 'base64');
}
