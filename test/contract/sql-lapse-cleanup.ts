import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../lib/storage.js';
import type { PatientRecord } from '../../lib/patient/ports.js';
import { mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';

const DAY = 24 * 3600_000;
const digest = () => createHash('sha256').update(randomBytes(32)).digest('hex');

/** Rows of a patient in every table that hangs off patients. */
// Password attempt counters (login_attempts) are keyed by subject, not patient: they do not hang off one.
const HANGING_OFF = ['verification_tokens', 'phone_codes', 'outbox_mails', 'session_families'] as const;

/** A migrated SQL database of its own (so the counts are exact), with the ports on it. */
export interface LapseCleanupDatabase {
  storage: Pick<Storage, 'repository' | 'sessions' | 'phoneCodes'>;
  /** `SELECT count(*)` of `from`: tables and a condition on one patient, written with `:id`. */
  count(from: string, patientId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A SQL database removes lapsed registrations itself (DynamoDB leaves it to TTL), with every row
 * hanging off them through ON DELETE CASCADE: PostgreSQL and MySQL alike.
 */
export function describeSqlLapseCleanup(name: string, open: () => Promise<LapseCleanupDatabase>): void {
  describe(`SQL lapse cleanup: ${name}`, () => {
    let db: LapseCleanupDatabase;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => db?.close());

    /**
     * A registration with a token and its mail, a phone code and its SMS, a session family with a
     * rotated token. (No reset token: none is issued to a lapsed registration.)
     */
    async function registerWithEverything(lapsesAt: Date | undefined): Promise<PatientRecord> {
      const patient = patientFixture(lapsesAt ? { lapses_at: lapsesAt.toISOString() } : {});
      await db.storage.repository.createPatient(patient, tokenFor(patient, new Date(Date.now() + DAY)), mailFor(patient));
      const sessions = db.storage.sessions;
      const first = digest();
      await sessions.startFamily({ familyId: randomUUID(), patientId: patient.id, tokenHash: first, now: new Date(), idleTtlMs: DAY, absoluteTtlMs: 2 * DAY });
      await sessions.rotate(first, digest(), new Date(), 0);
      const later = new Date(Date.now() + DAY);
      const at = new Date().toISOString();
      await db.storage.phoneCodes.issueCode({ patientId: patient.id, codeId: randomUUID(), digest: `v1.${digest()}`, expiresAt: later, createdAt: new Date() }, {
        kind: 'phone_code_sms', id: randomUUID(), patientId: patient.id, to: patient.phone_number, text: '123456 is your code', createdAt: at,
      });
      return patient;
    }
    async function rowsOf(patientId: string): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const table of ['patients', ...HANGING_OFF]) {
        const column = table === 'patients' ? 'id' : 'patient_id';
        counts[table] = await db.count(`FROM ${table} WHERE ${column} = :id`, patientId);
      }
      counts.refresh_tokens = await db.count('FROM refresh_tokens r JOIN session_families f ON f.id = r.family_id WHERE f.patient_id = :id', patientId);
      return counts;
    }
    const everything = { patients: 1, verification_tokens: 1, phone_codes: 1, outbox_mails: 2, session_families: 1, refresh_tokens: 2 };
    const nothing = { patients: 0, verification_tokens: 0, phone_codes: 0, outbox_mails: 0, session_families: 0, refresh_tokens: 0 };

    it('removeLapsedRegistrations deletes lapsed unverified patients with every row hanging off them, and counts them', async () => {
      const repository = db.storage.repository;
      const lapsed = [await registerWithEverything(new Date(Date.now() - 60_000)), await registerWithEverything(new Date(Date.now() - DAY))];
      const pending = await registerWithEverything(new Date(Date.now() + DAY));
      const lasting = await registerWithEverything(undefined);
      for (const patient of lapsed) expect(await rowsOf(patient.id)).toEqual(everything); // absent to reads, still stored

      expect(await repository.removeLapsedRegistrations(new Date())).toBe(2);
      for (const patient of lapsed) expect(await rowsOf(patient.id)).toEqual(nothing);
      for (const patient of [pending, lasting]) expect(await rowsOf(patient.id)).toEqual(everything);
      expect(await repository.removeLapsedRegistrations(new Date())).toBe(0);
      expect(await repository.removeLapsedRegistrations(new Date(Date.now() + 2 * DAY))).toBe(1);
      expect(await rowsOf(pending.id)).toEqual(nothing);
    });

    it('a new registration deletes the lapsed ones holding its email or phone, with their rows, in its transaction', async () => {
      const [byEmail, byPhone] = [await registerWithEverything(new Date(Date.now() - 60_000)), await registerWithEverything(new Date(Date.now() - 60_000))];
      const next = patientFixture({ email: byEmail.email, phone_number: byPhone.phone_number });
      await db.storage.repository.createPatient(next, tokenFor(next), mailFor(next));
      for (const patient of [byEmail, byPhone]) expect(await rowsOf(patient.id)).toEqual(nothing);
      expect(await rowsOf(next.id)).toMatchObject({ patients: 1, verification_tokens: 1, outbox_mails: 1 });
    });
  });
}
