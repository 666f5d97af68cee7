import { createHash } from 'node:crypto';
import type { PasswordHasher } from '../../../lib/patient/ports.js';

/** Cheap and deterministic instead of bcrypt; counts its calls (the duplicate pre-check must save them). */
export interface RecordingHasher extends PasswordHasher {
  readonly calls: number;
}

export const fakeHash = (password: string) => `fake-hash:${createHash('sha256').update(password).digest('hex')}`;

export function createRecordingHasher(): RecordingHasher {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async hash(password) {
      calls++;
      return fakeHash(password);
    },
  };
}
