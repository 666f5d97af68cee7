import type { AuditTrail } from '../../audit/ports.js';
import { AUDIT_COLUMNS, fromAuditRow, toAuditRow, type StoredAuditRow } from '../sql/audit-row.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

export { AUDIT_COLUMNS, toAuditRow, type AuditRow } from '../sql/audit-row.js';

const INSERT = `INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')})
  VALUES (${AUDIT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (id) DO NOTHING`;

/**
 * The audit trail in audit_events. The same id written twice is one event: a retried write is
 * dropped by ON CONFLICT, never an error for the request that retried it.
 */
export function createPostgresAuditTrail(db: SqlExecutor): AuditTrail {
  return {
    async record(event) {
      const row = toAuditRow(event);
      await callPostgres(() => db.query(INSERT, AUDIT_COLUMNS.map((column) => row[column])));
    },

    async eventsFor(patientId) {
      const { rows } = await callPostgres(() =>
        db.query<StoredAuditRow>(`SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_events WHERE patient_id = $1 ORDER BY at, id`, [patientId]));
      return rows.map(fromAuditRow);
    },
  };
}
