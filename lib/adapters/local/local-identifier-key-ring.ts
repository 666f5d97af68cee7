import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseIdentifierKeyRing, type IdentifierKeyRing } from '../../identifiers/hmac-identifier-digests.js';

/**
 * The identifier key ring on a developer machine (no KMS): IDENTIFIER_KEYS as JSON if given, else
 * a ring generated once into an ignored file, so digests stay stable across restarts of npm start.
 */
export function loadLocalIdentifierKeyRing(fromEnv: string | undefined, file: string): IdentifierKeyRing {
  if (fromEnv !== undefined) return parseIdentifierKeyRing(fromEnv);
  if (existsSync(file)) return parseIdentifierKeyRing(readFileSync(file, 'utf8'));
  mkdirSync(dirname(file), { recursive: true });
  try {
    // Exclusive create: of two processes starting at once, one writes the ring and both use it.
    writeFileSync(file, JSON.stringify({ current: 'v1', v1: randomBytes(32).toString('base64url') }), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseIdentifierKeyRing(readFileSync(file, 'utf8'));
}
