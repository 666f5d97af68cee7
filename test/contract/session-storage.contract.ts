import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLoginAttempts } from '../../lib/auth/lockout-policy.js';
import type { LoginFailureCounter, SessionStore } from '../../lib/auth/session-ports.js';

const START = new Date('2025-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const at = (offsetMs: number) => new Date(START.getTime() + offsetMs);
/** As the sign-in use case will: 32 random bytes, stored only as their SHA-256. */
const newTokenHash = () => createHash('sha256').update(randomBytes(32)).digest('hex');

export interface SessionContractDeps {
  sessions: () => SessionStore;
  loginFailures: () => LoginFailureCounter;
  /** A registered patient's id (stores may hold a foreign key to the patient). */
  newPatient: () => Promise<string>;
}

/** The sign-in storage rules, run inside describeStorageContract on every store. */
export function describeSessionContract({ sessions, loginFailures, newPatient }: SessionContractDeps): void {
  const IDLE = 10 * MINUTE;
  const ABSOLUTE = 25 * MINUTE;

  async function startFamily(patientId?: string, now = START) {
    const family = { familyId: randomUUID(), patientId: patientId ?? (await newPatient()), tokenHash: newTokenHash(), now, idleTtlMs: IDLE, absoluteTtlMs: ABSOLUTE };
    await sessions().startFamily(family);
    return family;
  }
  /** Rotates `hash` at `now`; returns the result and the new hash it offered. */
  async function rotate(hash: string, now: Date) {
    const next = newTokenHash();
    return { result: await sessions().rotate(hash, next, now), next };
  }

  describe('refresh-token families', () => {
    it('rotates the current token: the new one is current, sliding to now + idle', async () => {
      const family = await startFamily();
      const { result, next } = await rotate(family.tokenHash, at(MINUTE));
      expect(result).toEqual({ outcome: 'rotated', patientId: family.patientId, familyId: family.familyId, expiresAt: at(MINUTE + IDLE) });
      expect((await rotate(next, at(2 * MINUTE))).result).toMatchObject({ outcome: 'rotated', expiresAt: at(2 * MINUTE + IDLE) });
    });

    it('answers unknown for a token it never issued', async () => {
      expect(await sessions().rotate(newTokenHash(), newTokenHash(), START)).toEqual({ outcome: 'unknown' });
      expect(await sessions().familyOf(newTokenHash())).toBeUndefined();
    });

    it('names the family of its current and its rotated tokens', async () => {
      const family = await startFamily();
      const { next } = await rotate(family.tokenHash, at(MINUTE));
      const ref = { familyId: family.familyId, patientId: family.patientId };
      expect(await sessions().familyOf(family.tokenHash)).toEqual(ref);
      expect(await sessions().familyOf(next)).toEqual(ref);
    });

    it('a rotated token presented again is reuse: the family is revoked, the newest token stops working too', async () => {
      const family = await startFamily();
      const { next } = await rotate(family.tokenHash, at(MINUTE));
      const replay = await rotate(family.tokenHash, at(2 * MINUTE));
      expect(replay.result).toEqual({ outcome: 'reused', patientId: family.patientId, familyId: family.familyId });
      expect((await rotate(next, at(3 * MINUTE))).result).toEqual({ outcome: 'revoked' });
      // The token the replay offered never became valid.
      expect((await rotate(replay.next, at(3 * MINUTE))).result).toEqual({ outcome: 'unknown' });
    });

    it('expires a family idle for its idle lifetime, to the millisecond', async () => {
      const kept = await startFamily();
      expect((await rotate(kept.tokenHash, at(IDLE - 1))).result.outcome).toBe('rotated');
      const idle = await startFamily();
      expect((await rotate(idle.tokenHash, at(IDLE))).result).toEqual({ outcome: 'expired' });
    });

    it('slides with every rotation but never past the absolute end', async () => {
      const family = await startFamily();
      let hash = family.tokenHash;
      for (const [minute, expiresAt] of [[9, 19], [18, 25], [24, 25]] as const) {
        const { result, next } = await rotate(hash, at(minute * MINUTE));
        expect(result).toMatchObject({ outcome: 'rotated', expiresAt: at(expiresAt * MINUTE) });
        hash = next;
      }
      expect((await rotate(hash, at(ABSOLUTE))).result).toEqual({ outcome: 'expired' });
    });

    it('revokeFamily ends that family only, and twice is the same as once', async () => {
      const patientId = await newPatient();
      const [revoked, other] = [await startFamily(patientId), await startFamily(patientId)];
      await sessions().revokeFamily(revoked.familyId, at(MINUTE));
      await sessions().revokeFamily(revoked.familyId, at(2 * MINUTE));
      await sessions().revokeFamily(randomUUID(), at(2 * MINUTE)); // unknown: ignored
      expect((await rotate(revoked.tokenHash, at(3 * MINUTE))).result).toEqual({ outcome: 'revoked' });
      expect((await rotate(other.tokenHash, at(3 * MINUTE))).result.outcome).toBe('rotated');
    });

    it('revokeAllFor ends every family of the patient but the one excepted, and no one else’s', async () => {
      const [patientId, neighbour] = [await newPatient(), await newPatient()];
      const mine = [await startFamily(patientId), await startFamily(patientId), await startFamily(patientId)];
      const theirs = await startFamily(neighbour);
      await sessions().revokeAllFor(patientId, at(MINUTE), mine[1]!.familyId);
      const outcomes = async (families: { tokenHash: string }[]) =>
        Promise.all(families.map(async (f) => (await rotate(f.tokenHash, at(2 * MINUTE))).result.outcome));
      expect(await outcomes([mine[0]!, mine[2]!])).toEqual(['revoked', 'revoked']);
      const kept = await rotate(mine[1]!.tokenHash, at(2 * MINUTE));
      expect(kept.result.outcome).toBe('rotated');
      expect(await outcomes([theirs])).toEqual(['rotated']);

      await sessions().revokeAllFor(patientId, at(3 * MINUTE));
      expect((await rotate(kept.next, at(4 * MINUTE))).result).toEqual({ outcome: 'revoked' });
    });

    it('of 10 concurrent rotations of one token exactly one rotates; the others are reuse and end the family', async () => {
      const family = await startFamily();
      const attempts = await Promise.all(Array.from({ length: 10 }, () => rotate(family.tokenHash, at(MINUTE))));
      const winners = attempts.filter((a) => a.result.outcome === 'rotated');
      expect(winners).toHaveLength(1);
      expect(attempts.filter((a) => a.result.outcome === 'reused')).toHaveLength(9);
      expect((await rotate(winners[0]!.next, at(2 * MINUTE))).result).toEqual({ outcome: 'revoked' });
    });
  });

  describe('consecutive login failures', () => {
    it('counts failures with the latest time, and a success starts again from 0', async () => {
      const patientId = await newPatient();
      expect(await loginFailures().read(patientId)).toEqual({ failures: 0 });
      expect(await loginFailures().recordFailure(patientId, at(0), 100)).toEqual({ failures: 1, lastFailureAt: at(0) });
      expect(await loginFailures().recordFailure(patientId, at(MINUTE), 100)).toEqual({ failures: 2, lastFailureAt: at(MINUTE) });
      expect(await loginFailures().read(patientId)).toEqual({ failures: 2, lastFailureAt: at(MINUTE) });
      await loginFailures().reset(patientId);
      expect(await loginFailures().read(patientId)).toEqual({ failures: 0 });
      expect(await loginFailures().recordFailure(patientId, at(2 * MINUTE), 100)).toEqual({ failures: 1, lastFailureAt: at(2 * MINUTE) });
    });

    it('stops counting at the cap, while each failure still moves the time on', async () => {
      const patientId = await newPatient();
      for (let i = 0; i < 4; i++) await loginFailures().recordFailure(patientId, at(i * 1000), 3);
      expect(await loginFailures().read(patientId)).toEqual({ failures: 3, lastFailureAt: at(3000) });
    });

    it('counts 10 concurrent failures as 10', async () => {
      const patientId = await newPatient();
      await Promise.all(Array.from({ length: 10 }, () => loginFailures().recordFailure(patientId, at(0), 100)));
      expect((await loginFailures().read(patientId)).failures).toBe(10);
    });

    it('with the lock policy: locks from the 5th failure for 1 s, then 2 s; a success unlocks', async () => {
      const attempts = createLoginAttempts(loginFailures());
      const patientId = await newPatient();
      for (let i = 0; i < 4; i++) expect(await attempts.recordFailure(patientId, at(0))).toEqual({ locked: false });
      expect(await attempts.recordFailure(patientId, at(0))).toEqual({ locked: true, retryAfterSeconds: 1 });
      expect(await attempts.check(patientId, at(999))).toEqual({ locked: true, retryAfterSeconds: 1 });
      expect(await attempts.check(patientId, at(1000))).toEqual({ locked: false });
      expect(await attempts.recordFailure(patientId, at(1000))).toEqual({ locked: true, retryAfterSeconds: 2 });
      await attempts.recordSuccess(patientId);
      expect(await attempts.check(patientId, at(1000))).toEqual({ locked: false });
      expect(await attempts.recordFailure(patientId, at(1000))).toEqual({ locked: false });
    });
  });
}
