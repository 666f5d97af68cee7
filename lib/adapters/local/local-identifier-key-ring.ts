import { randomBytes } from 'node:crypto';
import { readOrCreateSecretFile } from './local-secret-file.js';
import { parseIdentifierKeyRing, type IdentifierKeyRing } from '../../identifiers/hmac-identifier-digests.js';

/**
 * The identifier key ring on a developer machine (no KMS): IDENTIFIER_KEYS as JSON if given, else
 * a ring generated once into an ignored file, so digests stay stable across restarts of npm start.
 */
export function loadLocalIdentifierKeyRing(fromEnv: string | undefined, file: string): IdentifierKeyRing {
  if (fromEnv !== undefined) return parseIdentifierKeyRing(fromEnv);
  return parseIdentifierKeyRing(readOrCreateSecretFile(file, () => JSON.stringify({ current: 'v1', v1: randomBytes(32).toString('base64url') })));
}
