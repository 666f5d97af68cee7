import type { SignInAssurance } from '../../../lib/auth/assurance.js';
import type { AttemptState, FamilyStart, LoginFailureCounter, RotationResult, SessionStore } from '../../../lib/auth/session-ports.js';

interface Family {
  patientId: string;
  currentHash: string;
  idleTtlMs: number;
  expiresAt: number;
  absoluteEnd: number;
  revokedAt?: number;
  previousHash?: string;
  rotatedAt?: number;
  createdAt: number;
  lastUsedAt: number;
  device?: string;
  assurance?: SignInAssurance;
}

export interface InMemorySessionStore extends SessionStore {
  /** The password writes' half (PatientRepository.resetPassword/changePassword run it in their step). */
  endFamilies(patientId: string, now: Date, keepFamilyId?: string): void;
}

/** What startFamily's condition reads of a patient (the repository's own record, read synchronously). */
export type PatientLookup = (patientId: string) => { password_hash: string; is_active: boolean } | undefined;

/**
 * Refresh-token families in memory, by the SessionStore contract (one JS turn per call: atomic).
 * `patientOf` reads the patient startFamily is conditioned on (createInMemoryStorage wires the fake
 * repository); a store made without it, for session-only tests, starts every family.
 */
export function createInMemorySessionStore(patientOf?: PatientLookup): InMemorySessionStore {
  const families = new Map<string, Family>();
  const tokens = new Map<string, string>(); // token hash → family id

  const isLive = (family: Family | undefined, patientId: string, now: Date) =>
    family?.patientId === patientId && family.revokedAt === undefined && now.getTime() < family.expiresAt;
  const revoke = (family: Family, now: Date) => {
    family.revokedAt ??= now.getTime();
  };

  return {
    async startFamily({ familyId, patientId, tokenHash, now, idleTtlMs, absoluteTtlMs, device, assurance, credential }): Promise<FamilyStart> {
      if (patientOf) {
        // Decided in the same turn as the write, as the real stores decide it in theirs.
        const patient = patientOf(patientId);
        if (!patient?.is_active || (credential && patient.password_hash !== credential.passwordHash)) return 'refused';
      }
      const absoluteEnd = now.getTime() + absoluteTtlMs;
      families.set(familyId, {
        patientId, currentHash: tokenHash, idleTtlMs, absoluteEnd, expiresAt: Math.min(now.getTime() + idleTtlMs, absoluteEnd),
        createdAt: now.getTime(), lastUsedAt: now.getTime(), ...(device !== undefined && { device }),
        ...(assurance && { assurance: { ...assurance, amr: [...assurance.amr] } }),
      });
      tokens.set(tokenHash, familyId);
      return 'started';
    },
    async rotate(presentedHash, newHash, now, reuseIntervalMs): Promise<RotationResult> {
      const familyId = tokens.get(presentedHash);
      const family = familyId === undefined ? undefined : families.get(familyId);
      if (!familyId || !family) return { outcome: 'unknown' };
      const ref = { patientId: family.patientId, familyId };
      const repeat = family.currentHash === newHash && family.previousHash === presentedHash && now.getTime() - (family.rotatedAt ?? 0) < reuseIntervalMs;
      if (family.currentHash !== presentedHash && !repeat) {
        revoke(family, now);
        return { outcome: 'reused', ...ref };
      }
      if (family.revokedAt !== undefined) return { outcome: 'revoked' };
      if (now.getTime() >= family.expiresAt) return { outcome: 'expired' };
      const kept = family.assurance && { assurance: { ...family.assurance, amr: [...family.assurance.amr] } };
      if (repeat) return { outcome: 'rotated', ...ref, expiresAt: new Date(family.expiresAt), repeated: true, ...kept };
      Object.assign(family, { currentHash: newHash, previousHash: presentedHash, rotatedAt: now.getTime(), lastUsedAt: now.getTime() });
      family.expiresAt = Math.min(now.getTime() + family.idleTtlMs, family.absoluteEnd);
      tokens.set(newHash, familyId);
      return { outcome: 'rotated', ...ref, expiresAt: new Date(family.expiresAt), ...kept };
    },
    async familyOf(tokenHash) {
      const familyId = tokens.get(tokenHash);
      const family = familyId === undefined ? undefined : families.get(familyId);
      return familyId && family ? { familyId, patientId: family.patientId } : undefined;
    },
    async isLive({ familyId, patientId }, now) {
      return isLive(families.get(familyId), patientId, now);
    },
    async listLive(patientId, now) {
      return [...families]
        .filter(([, family]) => isLive(family, patientId, now))
        .map(([familyId, family]) => ({
          familyId, createdAt: new Date(family.createdAt), lastUsedAt: new Date(family.lastUsedAt), ...(family.device !== undefined && { device: family.device }),
        }));
    },
    async endOwn({ familyId, patientId }, now) {
      const family = families.get(familyId);
      if (!isLive(family, patientId, now)) return false;
      revoke(family!, now);
      return true;
    },
    async endOthers(patientId, keepFamilyId, now) {
      for (const [id, family] of families) if (family.patientId === patientId && id !== keepFamilyId) revoke(family, now);
    },
    async revokeFamily({ familyId }, now) {
      const family = families.get(familyId);
      if (family) revoke(family, now);
    },
    endFamilies(patientId, now, keepFamilyId) {
      for (const [id, family] of families) if (family.patientId === patientId && id !== keepFamilyId) revoke(family, now);
    },
  };
}

/** Password attempts in memory, by the LoginFailureCounter contract (one JS turn per call: atomic). */
export function createInMemoryLoginFailureCounter(): LoginFailureCounter {
  const counts = new Map<string, Required<AttemptState>>();
  return {
    async read(subject) {
      return counts.get(subject) ?? { failures: 0 };
    },
    async reserve(subject, now, schedule) {
      const count = counts.get(subject);
      if (count && count.lockedUntil > now) return { reserved: false, lockedUntil: count.lockedUntil };
      const failures = Math.min((count?.failures ?? 0) + 1, schedule.maxCounted);
      counts.set(subject, { failures, lockedUntil: new Date(now.getTime() + schedule.lockSeconds(failures) * 1000) });
      return { reserved: true, failures };
    },
    async extendLock(subject, until) {
      const count = counts.get(subject);
      if (count && count.lockedUntil < until) count.lockedUntil = until;
    },
    async reset(subject) {
      counts.delete(subject);
    },
  };
}
