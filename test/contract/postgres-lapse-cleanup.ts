import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lib/adapters/postgres/migrate.js';
import { createPostgresLoginFailureCounter } from '../../lib/adapters/postgres/login-failure-counter.js';
import { createPostgresPatientRepository } from '../../lib/adapters/postgres/patient-repository.js';
import { createPostgresSessionStore } from '../../lib/adapters/postgres/session-store.js';
import type { SqlExecutor } from '../../lib/adapters/postgres/sql-executor.js';
import type { PatientRecord } from '../../lib/patient/ports.js';
import { mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';

const DAY = 24 * 3600_000;
const digest = () => createHash('sha256').update(randomBytes(32)).digest('hex');

/** Rows of a patient in every table that hangs off patients. */
const HANGING_OFF = ['verification_tokens', 'outbox_mails', 'session_families', 'login_failures'] as const;

/**
 * PostgreSQL removes lapsed registrations itself (DynamoDB leaves it to TTL): on a database of its
 * own, so the counts are exact.
 */
export function describePostgresLapseCleanup(name: string, open: () => Promise<{ db: SqlExecutor; stop(): Promise<void> }>): void {
  describe(`PostgreSQL lapse cleanup: ${name}`, () => {
    let db: SqlExecutor;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ db, stop } = await open());
      await migrate(db);
    });
    afterAll(async () => {
      await db?.close();
      await stop?.();
    });

    /** A registration with a token, its mail, a session family with a rotated token and a login failure. */
    async function registerWithEverything(lapsesAt: Date | undefined): Promise<PatientRecord> {
      const patient = patientFixture(lapsesAt ? { lapses_at: lapsesAt.toISOString() } : {});
      await createPostgresPatientRepository(db).createPatient(patient, tokenFor(patient, new Date(Date.now() + DAY)), mailFor(patient));
      const sessions = createPostgresSessionStore(db);
      const first = digest();
      await sessions.startFamily({ familyId: randomUUID(), patientId: patient.id, tokenHash: first, now: new Date(), idleTtlMs: DAY, absoluteTtlMs: 2 * DAY });
      await sessions.rotate(first, digest(), new Date());
      await createPostgresLoginFailureCounter(db).recordFailure(patient.id, new Date(), 100);
      return patient;
    }
    async function rowsOf(patientId: string): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const table of ['patients', ...HANGING_OFF]) {
        const column = table === 'patients' ? 'id' : 'patient_id';
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [patientId]);
        counts[table] = rows[0]!.n;
      }
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM refresh_tokens r JOIN session_families f ON f.id = r.family_id WHERE f.patient_id = $1', [patientId]);
      counts.refresh_tokens = rows[0]!.n;
      return counts;
    }
    const everything = { patients: 1, verification_tokens: 1, outbox_mails: 1, session_families: 1, login_failures: 1, refresh_tokens: 2 };
    const nothing = { patients: 0, verification_tokens: 0, outbox_mails: 0, session_families: 0, login_failures: 0, refresh_tokens: 0 };

    it('removeLapsedRegistrations deletes lapsed unverified patients with every row hanging off them, and counts them', async () => {
      const repository = createPostgresPatientRepository(db);
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
      await createPostgresPatientRepository(db).createPatient(next, tokenFor(next), mailFor(next));
      for (const patient of [byEmail, byPhone]) expect(await rowsOf(patient.id)).toEqual(nothing);
      expect(await rowsOf(next.id)).toMatchObject({ patients: 1, verification_tokens: 1, outbox_mails: 1 });
    });
  });
}
