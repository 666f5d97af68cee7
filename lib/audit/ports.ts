/**
 * The audit trail HIPAA asks for: who signed in, refreshed, signed out, and who read which fields of
 * which patient's record. Events carry ids, outcomes and a keyed digest of the source address, never
 * patient data, tokens or the address itself. Events outlive the patient they name (6 years), so no
 * store may tie them to the patient's row (no foreign key, no shared TTL).
 */
/** Every kind of event, as a list so that documents (the export's OpenAPI schema) can enumerate them. */
export const AUDIT_ACTIONS = [
  'sign_in',
  'email_verification',
  'token_refresh',
  'refresh_token_reuse',
  'sign_out',
  'record_read',
  'record_update',
  'phone_code_sent',
  'phone_verification',
  'password_reset',
  'password_change',
  'account_close',
  'email_move_request',
  'email_move',
  'phone_move_request',
  'phone_move',
  'session_end',
  'record_export',
  'totp_enrolment',
  'totp_enable',
  'totp_disable',
  'recovery_code_use',
  'passkey_add',
  'passkey_remove',
  'passkey_sign_in',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'failure';

export interface AuditEvent {
  /** Random (UUID v4); the same id twice is one event (a retried write must not duplicate it). */
  id: string;
  /** ISO 8601 with milliseconds, UTC. */
  at: string;
  action: AuditAction;
  outcome: AuditOutcome;
  /** Absent when no patient could be named (a sign-in with an unknown email, an unknown refresh token). */
  patientId?: string;
  /** Why a failure failed, as a short code: `wrong_password`, `unknown_email`, `locked`, `unverified`, … */
  reason?: string;
  /** The record fields disclosed by a read, or changed by an update, by name (never their values). */
  fields?: readonly string[];
  /** The session family the event concerns (refresh, reuse, sign-out). */
  sessionId?: string;
  /** API Gateway's request id, to join the event with the access log. */
  requestId?: string;
  /** Keyed digest of the client's IP address (lib/identifiers, kind `ip`). */
  sourceIpDigest?: string;
}

/** Where events are written: append-only. */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/**
 * Reading the trail back: operators, the tests, and GET /me/export (lib/record/export-record.ts),
 * which reads only the caller's own events and shows them without the source-address digest.
 */
export interface AuditTrail extends AuditLog {
  /** Every event naming the patient, oldest first. */
  eventsFor(patientId: string): Promise<AuditEvent[]>;
}
