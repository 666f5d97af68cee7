import { IDEMPOTENCY_LOCK_MS, IDEMPOTENCY_RETENTION_MS, type IdempotencyStore, type StoredResponse } from '../../../lib/idempotency/ports.js';

interface KeyRow {
  fingerprint: string;
  owner: string;
  lockedUntil: number;
  expiresAt: number;
  response: StoredResponse | undefined;
}

/** Idempotency keys in memory, by the IdempotencyStore contract (lock take-over, retention, owners). */
export function createInMemoryIdempotencyStore(): IdempotencyStore {
  const keys = new Map<string, KeyRow>();
  return {
    async begin(key, fingerprint, owner, now) {
      const t = now.getTime();
      const row = keys.get(key);
      const crashedSameRequest = row && !row.response && row.lockedUntil < t && row.fingerprint === fingerprint;
      if (!row || row.expiresAt <= t || crashedSameRequest) {
        keys.set(key, { fingerprint, owner, lockedUntil: t + IDEMPOTENCY_LOCK_MS, expiresAt: t + IDEMPOTENCY_RETENTION_MS, response: undefined });
        return { state: 'started' };
      }
      if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
      return row.response ? { state: 'completed', response: { ...row.response } } : { state: 'in-progress' };
    },
    async complete(key, owner, response) {
      const row = keys.get(key);
      if (row && row.owner === owner && !row.response) row.response = { ...response };
    },
    async abandon(key, owner) {
      const row = keys.get(key);
      if (row && row.owner === owner && !row.response) keys.delete(key);
    },
  };
}
