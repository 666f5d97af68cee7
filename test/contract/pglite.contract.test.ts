import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { AUDIT_COLUMNS, createPostgresAuditTrail } from '../../lib/adapters/postgres/audit-trail.js';
import { migrate } from '../../lib/adapters/postgres/migrate.js';
import { createPgliteExecutor } from '../../lib/adapters/postgres/pglite-executor.js';
import { describeStorageContract } from './patient-repository.contract.js';
import { postgresContractStore, postgresLapseDatabase } from '../support/postgres-contract-store.js';
import { minimalAuditEvent } from './audit-trail.contract.js';
import { describeSqlLapseCleanup } from './sql-lapse-cleanup.js';
import { describeOutboxNotifications } from './outbox-notify.contract.js';

// The embedded engine `STORAGE=postgres npm start` uses without DATABASE_URL. It runs transactions
// one at a time, so here the races check the constraints and the classification, not concurrency.
describeStorageContract('PostgreSQL embedded (PGlite)', async () => postgresContractStore(createPgliteExecutor(await PGlite.create())));

describeOutboxNotifications('PostgreSQL embedded (PGlite)', async () => ({ db: createPgliteExecutor(await PGlite.create()), stop: async () => {} }));

describe('PostgreSQL audit_events schema', () => {
  it('has exactly the event\'s columns and no foreign key: no patient data fits in, and events outlive the patient', async () => {
    const db = createPgliteExecutor(await PGlite.create());
    try {
      await migrate(db);
      const { rows: columns } = await db.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit_events' ORDER BY ordinal_position");
      expect(columns.map((c) => c.column_name)).toEqual([...AUDIT_COLUMNS]);
      const { rows: constraints } = await db.query<{ constraint_type: string }>(
        "SELECT constraint_type FROM information_schema.table_constraints WHERE table_name = 'audit_events' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')");
      expect(constraints.map((c) => c.constraint_type)).toEqual(['PRIMARY KEY']);
    } finally {
      await db.close();
    }
  });

  it('answers oldest first by its own ORDER BY, not by the index the planner happens to use', async () => {
    const db = createPgliteExecutor(await PGlite.create());
    try {
      await migrate(db);
      // One connection: these settings hold for the query below, which must then read the heap in write order.
      await db.exec('SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off');
      const patientId = randomUUID();
      const events = [3, 1, 2, 0].map((minute) => minimalAuditEvent({ patientId, at: new Date(Date.UTC(2025, 5, 1, 12, minute)).toISOString() }));
      const trail = createPostgresAuditTrail(db);
      for (const event of events) await trail.record(event);
      expect((await trail.eventsFor(patientId)).map((e) => e.at)).toEqual(events.map((e) => e.at).sort());
    } finally {
      await db.close();
    }
  });
});
describeSqlLapseCleanup('PGlite', async () => postgresLapseDatabase(createPgliteExecutor(await PGlite.create())));
