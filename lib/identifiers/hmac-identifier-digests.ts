import { createHmac } from 'node:crypto';
import { loadOnce } from '../load-once.js';
import type { IdentifierDigests, IdentifierKind } from './ports.js';

/** The HMAC keys by version, and which version new keys are written with. */
export interface IdentifierKeyRing {
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** How a key version is named: v1, v2 … (IDENTIFIER_KEY_VERSIONS lists them). */
export const KEY_VERSION = /^v[1-9][0-9]{0,3}$/;
const MIN_KEY_BYTES = 32;

/**
 * Parses a local key ring (IDENTIFIER_KEYS or .local/identifier-keys.json):
 * `{"current": "v2", "v1": "<secret>", "v2": "<secret>"}`, each secret at least 32 bytes of UTF-8.
 * Never drop a version that reservations were written under: they would no longer be found.
 */
export function parseIdentifierKeyRing(json: string): IdentifierKeyRing {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('The identifier key ring is not JSON');
  }
  if (!raw || typeof raw !== 'object') throw new Error('The identifier key ring must be a JSON object');
  const { current, ...versions } = raw as Record<string, unknown>;
  const keys = new Map<string, Buffer>();
  for (const [version, secret] of Object.entries(versions)) {
    if (!KEY_VERSION.test(version)) throw new Error(`Identifier key version "${version}" must look like v1, v2 …`);
    if (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_KEY_BYTES) {
      throw new Error(`Identifier key ${version} must be a string of at least ${MIN_KEY_BYTES} bytes`);
    }
    keys.set(version, Buffer.from(secret, 'utf8'));
  }
  if (typeof current !== 'string' || !keys.has(current)) throw new Error('The identifier key ring must name a "current" version it holds');
  return { current, keys };
}

/**
 * HMAC-SHA-256 digests under a key ring loaded on first use and kept for the life of the process
 * (the versions only change with a deploy, which starts new instances). A failed load is not kept:
 * the next call tries again. The kind is part of the MAC input, so an email and a phone number can
 * never share a digest.
 */
export function createHmacIdentifierDigests(loadKeyRing: () => Promise<IdentifierKeyRing>): IdentifierDigests {
  const ring = loadOnce(loadKeyRing);
  const digest = (key: Buffer, version: string, kind: IdentifierKind, value: string) =>
    `${version}.${createHmac('sha256', key).update(`${kind}:${value}`, 'utf8').digest('hex')}`;

  return {
    async current(kind, value) {
      const { current, keys } = await ring();
      return digest(keys.get(current)!, current, kind, value);
    },
    async all(kind, value) {
      const { current, keys } = await ring();
      const versions = [current, ...[...keys.keys()].filter((v) => v !== current)];
      return versions.map((version) => digest(keys.get(version)!, version, kind, value));
    },
  };
}
