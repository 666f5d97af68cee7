import type { MfaChallenge, MfaChallengeStore, TotpFactor, TotpStore } from '../../../lib/auth/totp-ports.js';
import type { InMemoryOutbox } from './in-memory-outbox.js';

interface StoredFactor extends Omit<TotpFactor, 'recoveryCodesLeft'> {
  recoveryCodes: Set<string>;
}

/**
 * Authenticator apps in memory, by the TotpStore contract: each method decides and writes without an
 * await in between, so it is atomic the way the real stores' conditional writes are.
 */
export function createInMemoryTotpStore(outbox: InMemoryOutbox): TotpStore {
  const factors = new Map<string, StoredFactor>();
  return {
    async read(patientId) {
      const factor = factors.get(patientId);
      if (!factor) return undefined;
      const { recoveryCodes, ...rest } = structuredClone(factor);
      return { ...rest, recoveryCodesLeft: recoveryCodes.size };
    },
    async begin(patientId, enrolmentId, secret) {
      if (factors.get(patientId)?.active) return false;
      factors.set(patientId, { enrolmentId, active: false, secret: structuredClone(secret), recoveryCodes: new Set() });
      return true;
    },
    async activate({ patientId, enrolmentId, step, recoveryCodeDigests, notice }) {
      const factor = factors.get(patientId);
      if (!factor || factor.active || factor.enrolmentId !== enrolmentId) return false;
      Object.assign(factor, { active: true, lastUsedStep: step, recoveryCodes: new Set(recoveryCodeDigests) });
      outbox.add(notice);
      return true;
    },
    async useStep(patientId, enrolmentId, step) {
      const factor = factors.get(patientId);
      if (!factor?.active || factor.enrolmentId !== enrolmentId || (factor.lastUsedStep !== undefined && step <= factor.lastUsedStep)) return false;
      factor.lastUsedStep = step;
      return true;
    },
    async useRecoveryCode(patientId, digests) {
      const factor = factors.get(patientId);
      if (!factor?.active) return false;
      const match = digests.find((digest) => factor.recoveryCodes.has(digest));
      return match !== undefined && factor.recoveryCodes.delete(match);
    },
    async remove(patientId, enrolmentId, notice) {
      if (factors.get(patientId)?.enrolmentId !== enrolmentId) return false;
      factors.delete(patientId);
      outbox.add(notice);
      return true;
    },
  };
}

export interface InMemoryMfaChallenges extends MfaChallengeStore {
  /** How many challenges were ever created, for assertions. */
  readonly created: number;
}

export function createInMemoryMfaChallenges(): InMemoryMfaChallenges {
  const challenges = new Map<string, MfaChallenge & { spent?: true }>();
  const live = (challenge: (MfaChallenge & { spent?: true }) | undefined, now: Date) =>
    challenge && !challenge.spent && now.getTime() < challenge.expiresAt.getTime() ? challenge : undefined;
  return {
    get created() {
      return challenges.size;
    },
    async create(challenge) {
      if (challenges.has(challenge.tokenHash)) throw new Error('mfa challenge digest already issued');
      challenges.set(challenge.tokenHash, structuredClone(challenge));
    },
    async read(tokenHash, now) {
      const challenge = live(challenges.get(tokenHash), now);
      if (!challenge) return undefined;
      const { spent: _spent, ...rest } = structuredClone(challenge);
      return rest;
    },
    async spend(tokenHash, now) {
      const challenge = live(challenges.get(tokenHash), now);
      if (!challenge) return false;
      challenge.spent = true;
      return true;
    },
  };
}
