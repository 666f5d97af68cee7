import { createHash } from 'node:crypto';
import type { PasswordHasher } from '../../../lib/patient/ports.js';

/** Cheap and deterministic instead of bcrypt; counts its calls (the duplicate pre-check must save them). */
export interface RecordingHasher extends PasswordHasher {
  readonly calls: number;
  /** How many compares ran, and against which hashes (the unknown-email path must compare too). */
  readonly compares: string[];
}

/** `cost` stands for bcrypt's: a hash made at a lower one needs a re-hash. */
export const fakeHash = (password: string, cost = FAKE_COST) => `fake-hash:${cost}:${createHash('sha256').update(password).digest('hex')}`;
export const FAKE_COST = 12;
const costOf = (hash: string) => Number(/^fake-hash:(\d+):/.exec(hash)?.[1] ?? 0);

export function createRecordingHasher(): RecordingHasher {
  let calls = 0;
  const compares: string[] = [];
  return {
    get calls() {
      return calls;
    },
    compares,
    async hash(password) {
      calls++;
      return fakeHash(password);
    },
    async compare(password, hash) {
      compares.push(hash);
      return fakeHash(password, costOf(hash)) === hash;
    },
    needsRehash: (hash) => costOf(hash) < FAKE_COST,
  };
}
