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
  const REUSE = 10_000;

  async function startFamily(patientId?: string, now = START) {
    const family = { familyId: randomUUID(), patientId: patientId ?? (await newPatient()), tokenHash: newTokenHash(), now, idleTtlMs: IDLE, absoluteTtlMs: ABSOLUTE };
    await sessions().startFamily(family);
    return family;
  }
  /** Rotates `hash` at `now` into `next` (a new random one unless given); returns the result and the new hash it offered. */
  async function rotate(hash: string, now: Date, next = newTokenHash()) {
    return { result: await sessions().rotate(hash, next, now, REUSE), next };
  }
  const refOf = (family: { familyId: string; patientId: string }) => ({ familyId: family.familyId, patientId: family.patientId });

  describe('refresh-token families', () => {
    it('rotates the current token: the new one is current, sliding to now + idle', async () => {
      const family = await startFamily();
      const { result, next } = await rotate(family.tokenHash, at(MINUTE));
      expect(result).toEqual({ outcome: 'rotated', patientId: family.patientId, familyId: family.familyId, expiresAt: at(MINUTE + IDLE) });
      expect((await rotate(next, at(2 * MINUTE))).result).toMatchObject({ outcome: 'rotated', expiresAt: at(2 * MINUTE + IDLE) });
    });

    it('answers unknown for a token it never issued', async () => {
      expect(await sessions().rotate(newTokenHash(), newTokenHash(), START, REUSE)).toEqual({ outcome: 'unknown' });
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
      // The token the replay offered never became valid, and the session's access tokens die with it.
      expect((await rotate(replay.next, at(3 * MINUTE))).result).toEqual({ outcome: 'unknown' });
      expect(await sessions().isLive(refOf(family), at(3 * MINUTE))).toBe(false);
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
      await sessions().revokeFamily(refOf(revoked), at(MINUTE));
      await sessions().revokeFamily(refOf(revoked), at(2 * MINUTE));
      await sessions().revokeFamily({ familyId: randomUUID(), patientId }, at(2 * MINUTE)); // unknown: ignored
      expect((await rotate(revoked.tokenHash, at(3 * MINUTE))).result).toEqual({ outcome: 'revoked' });
      expect((await rotate(other.tokenHash, at(3 * MINUTE))).result.outcome).toBe('rotated');
    });

    it('isLive: the patient’s family until it is revoked or past its end; never another patient’s', async () => {
      const family = await startFamily();
      const neighbour = await newPatient();
      expect(await sessions().isLive(refOf(family), at(IDLE - 1))).toBe(true);
      expect(await sessions().isLive(refOf(family), at(IDLE))).toBe(false);
      expect(await sessions().isLive({ familyId: family.familyId, patientId: neighbour }, at(MINUTE))).toBe(false);
      expect(await sessions().isLive({ familyId: randomUUID(), patientId: family.patientId }, at(MINUTE))).toBe(false);
      await sessions().revokeFamily(refOf(family), at(MINUTE));
      expect(await sessions().isLive(refOf(family), at(MINUTE))).toBe(false);
    });

    it('isLive follows the rotations: the family stays live past its first idle end while it is used', async () => {
      const family = await startFamily();
      await rotate(family.tokenHash, at(9 * MINUTE));
      expect(await sessions().isLive(refOf(family), at(IDLE + MINUTE))).toBe(true);
    });

    it('of 10 concurrent rotations of one token into different successors exactly one rotates; the others are reuse and end the family', async () => {
      const family = await startFamily();
      const attempts = await Promise.all(Array.from({ length: 10 }, () => rotate(family.tokenHash, at(MINUTE))));
      const winners = attempts.filter((a) => a.result.outcome === 'rotated');
      expect(winners).toHaveLength(1);
      expect(attempts.filter((a) => a.result.outcome === 'reused')).toHaveLength(9);
      expect((await rotate(winners[0]!.next, at(2 * MINUTE))).result).toEqual({ outcome: 'revoked' });
    });

    it('20 concurrent rotations of one token into the same successor all rotate, and the family lives on', async () => {
      const family = await startFamily();
      const next = newTokenHash();
      const attempts = await Promise.all(Array.from({ length: 20 }, () => rotate(family.tokenHash, at(MINUTE), next)));
      expect(attempts.map((a) => a.result)).toEqual(Array(20).fill(expect.objectContaining({ outcome: 'rotated', familyId: family.familyId, expiresAt: at(MINUTE + IDLE) })));
      expect(attempts.filter((a) => a.result.outcome === 'rotated' && !a.result.repeated)).toHaveLength(1);
      expect(await sessions().isLive(refOf(family), at(2 * MINUTE))).toBe(true);
      expect((await rotate(next, at(2 * MINUTE))).result.outcome).toBe('rotated');
    });

    it('a repeat of the last rotation gets it again within the reuse interval; from the interval on it is reuse', async () => {
      const kept = await startFamily();
      const { next } = await rotate(kept.tokenHash, at(MINUTE));
      expect((await rotate(kept.tokenHash, at(MINUTE + REUSE - 1), next)).result).toMatchObject({ outcome: 'rotated', repeated: true, expiresAt: at(MINUTE + IDLE) });
      expect(await sessions().isLive(refOf(kept), at(2 * MINUTE))).toBe(true);

      const late = await startFamily();
      const lateNext = (await rotate(late.tokenHash, at(MINUTE))).next;
      expect((await rotate(late.tokenHash, at(MINUTE + REUSE), lateNext)).result).toEqual({ outcome: 'reused', ...refOf(late) });
      expect((await rotate(lateNext, at(2 * MINUTE))).result).toEqual({ outcome: 'revoked' });
    });

    it('a repeat is reuse once the successor was itself rotated, or when it offers another successor', async () => {
      const used = await startFamily();
      const { next } = await rotate(used.tokenHash, at(MINUTE));
      await rotate(next, at(MINUTE + 1000));
      expect((await rotate(used.tokenHash, at(MINUTE + 2000), next)).result.outcome).toBe('reused');

      const other = await startFamily();
      await rotate(other.tokenHash, at(MINUTE));
      expect((await rotate(other.tokenHash, at(MINUTE + 1000))).result.outcome).toBe('reused');
    });

    it('20 families of one patient started at once all start (no transaction conflict escapes)', async () => {
      const patientId = await newPatient();
      const families = await Promise.all(Array.from({ length: 20 }, () => startFamily(patientId)));
      expect(await Promise.all(families.map((f) => sessions().isLive(refOf(f), at(MINUTE))))).toEqual(Array(20).fill(true));
    });

    it('revocations racing rotations and sign-ins of one patient all answer, and the revoked families end', async () => {
      const patientId = await newPatient();
      const families = await Promise.all(Array.from({ length: 5 }, () => startFamily(patientId)));
      await Promise.all([
        ...families.map((f) => sessions().revokeFamily(refOf(f), at(MINUTE))),
        ...families.map((f) => rotate(f.tokenHash, at(MINUTE))),
        ...Array.from({ length: 5 }, () => startFamily(patientId)),
      ]);
      expect(await Promise.all(families.map((f) => sessions().isLive(refOf(f), at(2 * MINUTE))))).toEqual(Array(5).fill(false));
    });

    it('a repeat within the interval does not bring a revoked family back', async () => {
      const family = await startFamily();
      const { next } = await rotate(family.tokenHash, at(MINUTE));
      await sessions().revokeFamily(refOf(family), at(MINUTE + 1000));
      expect((await rotate(family.tokenHash, at(MINUTE + 2000), next)).result).toEqual({ outcome: 'revoked' });
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
