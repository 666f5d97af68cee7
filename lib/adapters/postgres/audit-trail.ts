import type { AuditEvent, AuditTrail } from '../../audit/ports.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

/** The columns of audit_events (migration 006), one per field of AuditEvent and nothing else. */
export interface AuditRow {
  id: string;
  at: string;
  action: string;
  outcome: string;
  patient_id: string | null;
  reason: string | null;
  fields: string[] | null;
  session_id: string | null;
  request_id: string | null;
  source_ip_digest: string | null;
}

export const AUDIT_COLUMNS = ['id', 'at', 'action', 'outcome', 'patient_id', 'reason', 'fields', 'session_id', 'request_id', 'source_ip_digest'] as const;

/** The row for an event, each field copied by name (never a spread), so nothing beside the port's fields reaches the table. */
export function toAuditRow(event: AuditEvent): AuditRow {
  return {
    id: event.id,
    at: event.at,
    action: event.action,
    outcome: event.outcome,
    patient_id: event.patientId ?? null,
    reason: event.reason ?? null,
    fields: event.fields ? [...event.fields] : null,
    session_id: event.sessionId ?? null,
    request_id: event.requestId ?? null,
    source_ip_digest: event.sourceIpDigest ?? null,
  };
}

type StoredRow = Omit<AuditRow, 'at'> & { at: Date | string };

function fromAuditRow(row: StoredRow): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    action: row.action as AuditEvent['action'],
    outcome: row.outcome as AuditEvent['outcome'],
    ...(row.patient_id !== null && { patientId: row.patient_id }),
    ...(row.reason !== null && { reason: row.reason }),
    ...(row.fields !== null && { fields: row.fields }),
    ...(row.session_id !== null && { sessionId: row.session_id }),
    ...(row.request_id !== null && { requestId: row.request_id }),
    ...(row.source_ip_digest !== null && { sourceIpDigest: row.source_ip_digest }),
  };
}

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
        db.query<StoredRow>(`SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_events WHERE patient_id = $1 ORDER BY at, id`, [patientId]));
      return rows.map(fromAuditRow);
    },
  };
}
