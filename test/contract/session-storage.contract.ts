import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ACR_AAL1, ACR_AAL2, assuranceOf, PASSWORD_SIGN_IN, TWO_FACTOR_SIGN_IN } from '../../lib/auth/assurance.js';
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

    it('keeps the sign-in (amr, auth_time, acr) for the family’s life: every rotation, and a repeat, answers it unchanged (issue 21)', async () => {
      const assurance = assuranceOf({ amr: TWO_FACTOR_SIGN_IN, authTime: at(-3 * MINUTE) });
      const family = { familyId: randomUUID(), patientId: await newPatient(), tokenHash: newTokenHash(), now: START, idleTtlMs: IDLE, absoluteTtlMs: ABSOLUTE, assurance };
      await sessions().startFamily(family);
      const first = await rotate(family.tokenHash, at(MINUTE));
      expect(first.result).toMatchObject({ outcome: 'rotated', assurance: { amr: ['pwd', 'otp'], authTime: at(-3 * MINUTE), acr: ACR_AAL2 } });
      const second = await rotate(first.next, at(2 * MINUTE));
      expect(second.result).toMatchObject({ outcome: 'rotated', assurance: { amr: ['pwd', 'otp'], authTime: at(-3 * MINUTE), acr: ACR_AAL2 } });
      const repeat = await rotate(first.next, at(2 * MINUTE + 1000), second.next);
      expect(repeat.result).toMatchObject({ outcome: 'rotated', repeated: true, assurance: { amr: ['pwd', 'otp'], authTime: at(-3 * MINUTE) } });

      const password = { ...family, familyId: randomUUID(), tokenHash: newTokenHash(), assurance: assuranceOf({ amr: PASSWORD_SIGN_IN, authTime: START }) };
      await sessions().startFamily(password);
      expect((await rotate(password.tokenHash, at(MINUTE))).result).toMatchObject({ assurance: { amr: ['pwd'], authTime: START, acr: ACR_AAL1 } });
      // A family started before the sign-in was kept states none: the use case decides what that means.
      const legacy = await startFamily();
      const { result } = await rotate(legacy.tokenHash, at(MINUTE));
      expect(result.outcome === 'rotated' && result.assurance).toBeFalsy();
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

  describe('password attempts reserved per subject', () => {
    /** 3 counted, a 1-minute lock from the 2nd: small numbers with the shape of the real schedules. */
    const SCHEDULE = { maxCounted: 3, lockSeconds: (failures: number) => (failures >= 2 ? 60 : 0) };
    const subject = () => `account:${randomUUID()}`;
    const reserve = (s: string, now: Date) => loginFailures().reserve(s, now, SCHEDULE);

    it('counts each reservation and locks by the schedule from the new count; a reset starts again from 0', async () => {
      const s = subject();
      expect(await loginFailures().read(s)).toEqual({ failures: 0 });
      expect(await reserve(s, at(0))).toEqual({ reserved: true, failures: 1 });
      expect(await loginFailures().read(s)).toEqual({ failures: 1, lockedUntil: at(0) });
      expect(await reserve(s, at(1000))).toEqual({ reserved: true, failures: 2 });
      expect(await loginFailures().read(s)).toEqual({ failures: 2, lockedUntil: at(61_000) });
      await loginFailures().reset(s);
      expect(await loginFailures().read(s)).toEqual({ failures: 0 });
      expect(await reserve(s, at(2000))).toEqual({ reserved: true, failures: 1 });
    });

    it('refuses while locked, to the millisecond, without counting; the lock ends', async () => {
      const s = subject();
      await reserve(s, at(0));
      await reserve(s, at(0));
      expect(await reserve(s, at(59_999))).toEqual({ reserved: false, lockedUntil: at(60_000) });
      expect(await loginFailures().read(s)).toEqual({ failures: 2, lockedUntil: at(60_000) });
      expect(await reserve(s, at(60_000))).toEqual({ reserved: true, failures: 3 });
    });

    it('stops counting at the cap, while each reservation still locks again', async () => {
      const s = subject();
      for (const t of [0, 60_000, 120_000, 180_000]) await reserve(s, at(t));
      expect(await loginFailures().read(s)).toEqual({ failures: 3, lockedUntil: at(240_000) });
    });

    it('of 12 concurrent reservations only as many pass as sequential ones would: the count decides, not the order', async () => {
      const s = subject();
      const results = await Promise.all(Array.from({ length: 12 }, () => reserve(s, at(0))));
      expect(results.filter((r) => r.reserved)).toHaveLength(2);
      expect(results.filter((r) => !r.reserved)).toEqual(Array.from({ length: 10 }, () => ({ reserved: false, lockedUntil: at(60_000) })));
      expect(await loginFailures().read(s)).toEqual({ failures: 2, lockedUntil: at(60_000) });
    });

    it('counts 10 concurrent reservations below any lock as 10', async () => {
      const s = subject();
      const never = { maxCounted: 100, lockSeconds: () => 0 };
      const results = await Promise.all(Array.from({ length: 10 }, () => loginFailures().reserve(s, at(0), never)));
      expect(results.map((r) => r.reserved && r.failures).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('keeps subjects apart: one locked, another untouched', async () => {
      const [locked, other] = [subject(), subject()];
      await reserve(locked, at(0));
      await reserve(locked, at(0));
      expect(await reserve(other, at(0))).toEqual({ reserved: true, failures: 1 });
      await loginFailures().reset(other);
      expect((await reserve(locked, at(0))).reserved).toBe(false);
    });

    it('extendLock moves a lock\'s end later, never earlier, and never brings back a reset count', async () => {
      const s = subject();
      await reserve(s, at(0));
      await reserve(s, at(0)); // locked until 60 s
      await loginFailures().extendLock(s, at(90_000));
      expect(await loginFailures().read(s)).toEqual({ failures: 2, lockedUntil: at(90_000) });
      await loginFailures().extendLock(s, at(70_000));
      expect(await reserve(s, at(80_000))).toEqual({ reserved: false, lockedUntil: at(90_000) });
      await loginFailures().reset(s);
      await loginFailures().extendLock(s, at(120_000));
      expect(await loginFailures().read(s)).toEqual({ failures: 0 });
      expect(await reserve(s, at(100_000))).toEqual({ reserved: true, failures: 1 });
    });

    it('with the account schedule: 4 pass, the 5th locks for 1 s from its answer, the 6th for 2 s; a success unlocks', async () => {
      const attempts = createLoginAttempts(loginFailures());
      const s = subject();
      const wrong = async (now: Date, answeredAt = now) => {
        const attempt = await attempts.reserve(s, now);
        if (attempt.locked) return attempt;
        await attempt.failed(answeredAt);
        return { locked: false };
      };
      for (let i = 0; i < 4; i++) expect(await wrong(at(0))).toEqual({ locked: false });
      expect(await wrong(at(0), at(300))).toEqual({ locked: false }); // bcrypt took 300 ms
      expect(await attempts.reserve(s, at(1299))).toEqual({ locked: true, retryAfterSeconds: 1 });
      expect(await wrong(at(1300))).toEqual({ locked: false });
      expect(await attempts.reserve(s, at(1300))).toEqual({ locked: true, retryAfterSeconds: 2 });
      const right = await attempts.reserve(s, at(3300));
      expect(right.locked).toBe(false);
      if (!right.locked) await right.succeeded();
      expect(await loginFailures().read(s)).toEqual({ failures: 0 });
    });
  });
}
