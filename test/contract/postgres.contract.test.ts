import { describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../lib/adapters/postgres/migrate.js';
import { createPgExecutor } from '../../lib/adapters/postgres/pg-executor.js';
import { createPostgresPatientRepository } from '../../lib/adapters/postgres/patient-repository.js';
import { freePort } from '../../lib/local/services.js';
import { postgresContractStore, postgresLapseDatabase } from '../support/postgres-contract-store.js';
import { startPostgresServer } from '../support/postgres-server.js';
import { describeStorageContract, expectUnavailableWhenUnreachable, mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';
import { describeSqlLapseCleanup } from './sql-lapse-cleanup.js';
import { describeOutboxNotifications } from './outbox-notify.contract.js';
import { expectSessionStartWaitsForHeldPasswordWrite } from './session-lock-order.js';
import { endFamilies } from '../../lib/adapters/postgres/session-store.js';

// A real PostgreSQL server (Debian's postgresql package), so the pg driver and real concurrent
// transactions are exercised; the pool is wider than the 20-way race so all 20 run at once.
describeStorageContract('PostgreSQL 15 server (pg)', async () => {
  const server = await startPostgresServer();
  return postgresContractStore(createPgExecutor(server.url, { max: 25 }), () => server.stop());
});

describeSqlLapseCleanup('PostgreSQL 15 server (pg)', async () => {
  const server = await startPostgresServer();
  return postgresLapseDatabase(createPgExecutor(server.url), () => server.stop());
});

describeOutboxNotifications('PostgreSQL 15 server (pg)', async () => {
  const server = await startPostgresServer();
  return { db: createPgExecutor(server.url), stop: () => server.stop() };
});

describe('PostgreSQL adapter specifics', () => {
  it('applies the migrations once: a second run changes nothing', async () => {
    const server = await startPostgresServer();
    const db = createPgExecutor(server.url);
    try {
      const versions = readMigrations().map((m) => m.version);
      expect(versions.slice(0, 2)).toEqual(['001_initial', '002_reliability']);
      expect(await migrate(db)).toEqual(versions);
      expect(await migrate(db)).toEqual([]);
      const { rows } = await db.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(versions);
      // An applied migration edited afterwards would leave the database unlike the repo: refuse.
      const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
      await expect(migrate(db, edited)).rejects.toThrow('migration 001_initial was changed after it was applied');
    } finally {
      await db.close();
      await server.stop();
    }
  });

  it('a session start waits for a password write holding the patient row, then is refused (issue 19 item 3)', async () => {
    const server = await startPostgresServer();
    const db = createPgExecutor(server.url, { max: 5 });
    try {
      const store = await postgresContractStore(db);
      await expectSessionStartWaitsForHeldPasswordWrite({
        ...store,
        holdPatientRow: (patientId, newHash, whileHeld) => db.transaction(async (tx) => {
          await tx.query('UPDATE patients SET password_hash = $2 WHERE id = $1', [patientId, newHash]);
          await whileHeld();
          await endFamilies(tx, patientId, new Date());
        }),
        lockWaits: async () => Number((await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0]!.n),
      });
    } finally {
      await db.close();
      await server.stop();
    }
  }, 60_000);

  it('turns an unreachable server into ServiceUnavailableError (503), not a 500', async () => {
    const db = createPgExecutor(`postgresql://postgres@127.0.0.1:${await freePort()}/postgres`);
    try {
      await expectUnavailableWhenUnreachable(createPostgresPatientRepository(db));
    } finally {
      await db.close();
    }
  });
});
