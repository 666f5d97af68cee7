import { createHmac } from 'node:crypto';
import type { IdentifierDigests, IdentifierKind } from './ports.js';

/** The HMAC keys by version, and which version new keys are written with. */
export interface IdentifierKeyRing {
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

const VERSION = /^v[1-9][0-9]{0,3}$/;
const MIN_KEY_BYTES = 32;

/**
 * Parses the key ring as configured: `{"current": "v2", "v1": "<secret>", "v2": "<secret>"}`. A
 * secret is the UTF-8 text as generated (Secrets Manager's random string), at least 32 bytes.
 * Rotation: add the new version first (lookups try it), let every instance reload, then make it current.
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
    if (!VERSION.test(version)) throw new Error(`Identifier key version "${version}" must look like v1, v2 …`);
    if (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_KEY_BYTES) {
      throw new Error(`Identifier key ${version} must be a string of at least ${MIN_KEY_BYTES} bytes`);
    }
    keys.set(version, Buffer.from(secret, 'utf8'));
  }
  if (typeof current !== 'string' || !keys.has(current)) throw new Error('The identifier key ring must name a "current" version it holds');
  return { current, keys };
}

/** How long a loaded key ring is trusted before it is read again, so a rotation reaches every instance. */
export const KEY_RING_REFRESH_MS = 5 * 60_000;

/**
 * HMAC-SHA-256 digests under a key ring loaded on first use and refreshed every few minutes. The
 * kind is part of the MAC input, so an email and a phone number can never share a digest.
 */
export function createHmacIdentifierDigests(
  loadKeyRing: () => Promise<IdentifierKeyRing>,
  now: () => number = Date.now,
): IdentifierDigests {
  let cached: { ring: Promise<IdentifierKeyRing>; loadedAt: number } | undefined;
  const ring = (): Promise<IdentifierKeyRing> => {
    if (!cached || now() - cached.loadedAt > KEY_RING_REFRESH_MS) {
      const loading = loadKeyRing();
      cached = { ring: loading, loadedAt: now() };
      // A failed load must not stick: the next call tries again.
      loading.catch(() => {
        if (cached?.ring === loading) cached = undefined;
      });
    }
    return cached.ring;
  };
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
