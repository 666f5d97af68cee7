import type { PasskeyChallenge, PasskeyCredential, PasskeyStore } from '../../../lib/passkey/ports.js';
import type { InMemoryOutbox } from './in-memory-outbox.js';

export interface InMemoryPasskeys extends PasskeyStore {
  /** The stored credential as is (counter included), for assertions. */
  credentialOf(id: string): PasskeyCredential | undefined;
}

/**
 * Passkeys and their challenges in memory, by the PasskeyStore contract: each method runs without an
 * await in between, so a spend and a counter advance are atomic as the real stores' conditional writes are.
 */
export function createInMemoryPasskeys(outbox: InMemoryOutbox): InMemoryPasskeys {
  const credentials = new Map<string, PasskeyCredential>();
  const challenges = new Map<string, PasskeyChallenge>();
  return {
    credentialOf: (id) => structuredClone(credentials.get(id)),
    async saveChallenge(challenge) {
      challenges.set(challenge.challenge, structuredClone(challenge));
    },
    async takeChallenge(challenge) {
      const stored = challenges.get(challenge);
      challenges.delete(challenge);
      return structuredClone(stored);
    },
    async add(credential, notice, limit) {
      if (credentials.has(credential.id)) return 'duplicate';
      if ([...credentials.values()].filter((c) => c.patientId === credential.patientId).length >= limit) return 'full';
      credentials.set(credential.id, structuredClone(credential));
      outbox.add(notice);
      return 'added';
    },
    async find(id) {
      return structuredClone(credentials.get(id));
    },
    async listFor(patientId) {
      return [...credentials.values()]
        .filter((c) => c.patientId === patientId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
        .map((c) => structuredClone(c));
    },
    async remove(patientId, id, notice) {
      if (credentials.get(id)?.patientId !== patientId) return false;
      credentials.delete(id);
      outbox.add(notice);
      return true;
    },
    async advanceCounter({ id, patientId }, next, usedAt) {
      const stored = credentials.get(id);
      if (!stored || stored.patientId !== patientId) return 'unknown';
      if (!(stored.counter < next || (stored.counter === 0 && next === 0))) return 'not_forward';
      stored.counter = next;
      stored.lastUsedAt = new Date(usedAt);
      return 'advanced';
    },
  };
}
