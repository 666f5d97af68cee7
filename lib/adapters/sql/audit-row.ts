import type { AuditEvent } from '../../audit/ports.js';

/** The columns of audit_events (PostgreSQL migration 006, MySQL 001), one per field of AuditEvent and nothing else. */
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

/** A row as read back: `at` as the driver returns it. */
export type StoredAuditRow = Omit<AuditRow, 'at'> & { at: Date | string };

export function fromAuditRow(row: StoredAuditRow): AuditEvent {
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

