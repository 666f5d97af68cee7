import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LiveSession, SessionStore } from '../../lib/auth/session-ports.js';

const START = new Date('2025-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const at = (offsetMs: number) => new Date(START.getTime() + offsetMs);
const newTokenHash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
const IDLE = 10 * MINUTE;
const ABSOLUTE = 25 * MINUTE;
const REUSE = 10_000;

export interface SessionListingContractDeps {
  sessions: () => SessionStore;
  /** A registered patient's id (stores may hold a foreign key to the patient). */
  newPatient: () => Promise<string>;
}

/** The patient's session list (issue 20): what each store records at sign-in and refresh, and how one ends its own. */
export function describeSessionListingContract({ sessions, newPatient }: SessionListingContractDeps): void {
  /** `device: null` signs in without a summary (a client that sent no user agent). */
  async function signIn(patientId: string, now = START, device: string | null = 'Chrome 120 on macOS') {
    const family = { familyId: randomUUID(), patientId, tokenHash: newTokenHash(), now, idleTtlMs: IDLE, absoluteTtlMs: ABSOLUTE, ...(device !== null && { device }) };
    await sessions().startFamily(family);
    return family;
  }
  const byId = (list: LiveSession[]) => new Map(list.map((s) => [s.familyId, s]));

  describe('the session list', () => {
    it('lists each live family of the patient with its device, creation and last use, and no other patient\'s', async () => {
      const patientId = await newPatient();
      const laptop = await signIn(patientId, START, 'Chrome 120 on macOS');
      const phone = await signIn(patientId, at(MINUTE), 'Mobile Safari 17.1 on iOS');
      await signIn(await newPatient(), START);
      const list = await sessions().listLive(patientId, at(2 * MINUTE));
      expect(list).toHaveLength(2);
      expect(byId(list).get(laptop.familyId)).toEqual({ familyId: laptop.familyId, createdAt: START, lastUsedAt: START, device: 'Chrome 120 on macOS' });
      expect(byId(list).get(phone.familyId)).toEqual({ familyId: phone.familyId, createdAt: at(MINUTE), lastUsedAt: at(MINUTE), device: 'Mobile Safari 17.1 on iOS' });
    });

    it('a family started without a device summary lists without one', async () => {
      const patientId = await newPatient();
      const family = await signIn(patientId, START, null);
      expect(await sessions().listLive(patientId, at(MINUTE))).toEqual([{ familyId: family.familyId, createdAt: START, lastUsedAt: START }]);
    });

    it('a refresh (rotation) moves the last use; the creation and the device stay', async () => {
      const patientId = await newPatient();
      const family = await signIn(patientId);
      await sessions().rotate(family.tokenHash, newTokenHash(), at(3 * MINUTE), REUSE);
      expect(await sessions().listLive(patientId, at(4 * MINUTE))).toEqual([
        { familyId: family.familyId, createdAt: START, lastUsedAt: at(3 * MINUTE), device: 'Chrome 120 on macOS' },
      ]);
    });

    it('leaves out revoked and expired families', async () => {
      const patientId = await newPatient();
      const revoked = await signIn(patientId);
      const idle = await signIn(patientId);
      const live = await signIn(patientId, at(5 * MINUTE));
      await sessions().revokeFamily(revoked, at(MINUTE));
      // idle: never refreshed, past its idle end at START + IDLE; live was started later.
      const list = await sessions().listLive(patientId, at(IDLE + MINUTE));
      expect(list.map((s) => s.familyId)).toEqual([live.familyId]);
      expect(list.map((s) => s.familyId)).not.toContain(idle.familyId);
    });

    it('lists nothing for a patient without sessions', async () => {
      expect(await sessions().listLive(await newPatient(), START)).toEqual([]);
    });
  });

  describe('ending one\'s own session', () => {
    it('ends the patient\'s live family: it is no longer live nor listed, and its refresh token is refused', async () => {
      const patientId = await newPatient();
      const family = await signIn(patientId);
      const other = await signIn(patientId);
      expect(await sessions().endOwn(family, at(MINUTE))).toBe(true);
      expect(await sessions().isLive(family, at(MINUTE))).toBe(false);
      expect(await sessions().isLive(other, at(MINUTE))).toBe(true);
      expect((await sessions().listLive(patientId, at(MINUTE))).map((s) => s.familyId)).toEqual([other.familyId]);
      expect(await sessions().rotate(family.tokenHash, newTokenHash(), at(2 * MINUTE), REUSE)).toEqual({ outcome: 'revoked' });
    });

    it('refuses another patient\'s family, and leaves it live', async () => {
      const owner = await signIn(await newPatient());
      const intruder = await newPatient();
      expect(await sessions().endOwn({ familyId: owner.familyId, patientId: intruder }, at(MINUTE))).toBe(false);
      expect(await sessions().isLive(owner, at(MINUTE))).toBe(true);
    });

    it('refuses an unknown, an ended and an expired family', async () => {
      const patientId = await newPatient();
      expect(await sessions().endOwn({ familyId: randomUUID(), patientId }, START)).toBe(false);
      const ended = await signIn(patientId);
      await sessions().revokeFamily(ended, START);
      expect(await sessions().endOwn(ended, at(MINUTE))).toBe(false);
      const expired = await signIn(patientId);
      expect(await sessions().endOwn(expired, at(IDLE))).toBe(false);
    });

    it('of concurrent ends of one family exactly one ends it', async () => {
      const family = await signIn(await newPatient());
      const answers = await Promise.all(Array.from({ length: 5 }, () => sessions().endOwn(family, at(MINUTE))));
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(await sessions().isLive(family, at(MINUTE))).toBe(false);
    });
  });

  describe('ending the other sessions', () => {
    it('ends every family of the patient but the one named, and no other patient\'s', async () => {
      const patientId = await newPatient();
      const kept = await signIn(patientId);
      const others = [await signIn(patientId), await signIn(patientId)];
      const stranger = await signIn(await newPatient());
      await sessions().endOthers(patientId, kept.familyId, at(MINUTE));
      expect((await sessions().listLive(patientId, at(MINUTE))).map((s) => s.familyId)).toEqual([kept.familyId]);
      for (const family of others) expect(await sessions().isLive(family, at(MINUTE))).toBe(false);
      expect(await sessions().isLive(stranger, at(MINUTE))).toBe(true);
    });

    it('does nothing when the named family is the only one', async () => {
      const patientId = await newPatient();
      const kept = await signIn(patientId);
      await sessions().endOthers(patientId, kept.familyId, at(MINUTE));
      expect(await sessions().isLive(kept, at(MINUTE))).toBe(true);
    });
  });
}
