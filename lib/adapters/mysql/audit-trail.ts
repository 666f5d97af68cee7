import type { AuditTrail } from '../../audit/ports.js';
import { AUDIT_COLUMNS, fromAuditRow, toAuditRow, type StoredAuditRow } from '../sql/audit-row.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';

/**
 * The same id written twice is one event: ON DUPLICATE KEY UPDATE id = id leaves the stored row as it
 * was (PostgreSQL: ON CONFLICT DO NOTHING). INSERT IGNORE would do the same but also turn a
 * too-long value or a failed CHECK into a silent warning.
 */
const INSERT = `INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')})
  VALUES (${AUDIT_COLUMNS.map((column) => `:${column}`).join(', ')})
  ON DUPLICATE KEY UPDATE id = id`;

/** The audit trail in audit_events; field names as a JSON array (MySQL has no array type). */
export function createMysqlAuditTrail(db: MysqlExecutor): AuditTrail {
  return {
    async record(event) {
      const row = toAuditRow(event);
      await callMysql(() => db.run(INSERT, { ...row, at: new Date(row.at), fields: row.fields && JSON.stringify(row.fields) }));
    },

    async eventsFor(patientId) {
      const rows = await callMysql(() =>
        db.query<Omit<StoredAuditRow, 'fields'> & { fields: string | null }>(
          `SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_events WHERE patient_id = :patientId ORDER BY at, id`,
          { patientId },
        ));
      return rows.map((row) => fromAuditRow({ ...row, fields: row.fields === null ? null : (JSON.parse(row.fields) as string[]) }));
    },
  };
}
