import type { ContactMoveStore } from '../../../lib/record/ports.js';
import type { InMemoryOutbox } from './in-memory-outbox.js';
import type { InMemoryPatientRepository } from './in-memory-patient-repository.js';

/** Expiry has whole-second resolution in the real stores: expired from the start of expiresAt's second. */
const second = (d: Date) => Math.floor(d.getTime() / 1000);

interface MoveLink {
  patientId: string;
  newEmail: string;
  keepSessionId?: string;
  expiresAt: Date;
  used: boolean;
}

/**
 * Email moves in memory, by the ContactMoveStore contract: each method runs without an await in
 * between, so it is atomic the way the real stores' transactions are. The reservations are the
 * repository's (moveEmail swaps them in one step, under the condition that the new one is free).
 */
export function createInMemoryContactMoves(repository: InMemoryPatientRepository, outbox: InMemoryOutbox): ContactMoveStore {
  const links = new Map<string, MoveLink>();
  // On the patient, as in the real stores: a password reset, change or close forgets it.
  const newest = repository.newestEmailMove;

  const judge = (tokenHash: string, now: Date) => {
    const link = links.get(tokenHash);
    if (!link || !repository.readLive(link.patientId, now)) return { state: 'unknown' } as const;
    if (link.used) return { state: 'used' } as const;
    if (second(link.expiresAt) <= second(now)) return { state: 'expired' } as const;
    if (newest.get(link.patientId) !== tokenHash) return { state: 'superseded' } as const;
    return { state: 'usable', link } as const;
  };

  return {
    async requestEmailMove({ patientId, newEmail, tokenHash, expiresAt, keepSessionId, link, notice, now }) {
      const patient = repository.readLive(patientId, now);
      if (!patient || !patient.is_active || !patient.email_verified) return false;
      links.set(tokenHash, { patientId, newEmail, expiresAt, used: false, ...(keepSessionId && { keepSessionId }) });
      newest.set(patientId, tokenHash);
      outbox.add(link);
      outbox.add(notice);
      return true;
    },

    async emailMoveLink(tokenHash, now) {
      const judged = judge(tokenHash, now);
      return judged.state === 'usable' ? { state: 'usable', patientId: judged.link.patientId } : judged;
    },

    async confirmEmailMove({ tokenHash, patientId, expectedEmail, notice, now }) {
      const judged = judge(tokenHash, now);
      if (judged.state !== 'usable') return { outcome: judged.state };
      const { link } = judged;
      if (link.patientId !== patientId) return { outcome: 'unknown' };
      const patient = repository.readLive(patientId, now);
      if (!patient?.is_active || patient.email !== expectedEmail) return { outcome: 'superseded' };
      if (!repository.moveEmail(patientId, link.newEmail, now, link.keepSessionId)) return { outcome: 'taken' };
      link.used = true;
      newest.delete(patientId);
      outbox.add(notice);
      return { outcome: 'moved', email: link.newEmail };
    },
  };
}
