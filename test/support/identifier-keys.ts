import { randomBytes } from 'node:crypto';
import { createHmacIdentifierDigests, parseIdentifierKeyRing } from '../../lib/identifiers/hmac-identifier-digests.js';
import type { IdentifierDigests } from '../../lib/identifiers/ports.js';

/** A fresh key ring as IDENTIFIER_KEYS takes it: the given versions, the first one current. */
export function identifierKeyRingJson(versions: readonly string[] = ['v1']): string {
  return JSON.stringify({ current: versions[0], ...Object.fromEntries(versions.map((v) => [v, randomBytes(32).toString('base64url')])) });
}

/** Digests under a key ring given as JSON (by default the one the handlers of this test file use). */
export function testIdentifierDigests(json = process.env.IDENTIFIER_KEYS!): IdentifierDigests {
  return createHmacIdentifierDigests(async () => parseIdentifierKeyRing(json));
}
