import type { AuditEvent, AuditTrail } from '../audit/ports.js';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { listSessions, type SessionView } from '../auth/own-sessions.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { requireMultiFactor, requireRecentSignInAudited, type StepUpDeps } from '../auth/step-up.js';
import { toView, type PatientView } from '../auth/read-own-record.js';
import type { SessionStore } from '../auth/session-ports.js';
import { BadRequestError, InvalidAccessTokenError, SignInRefusedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock, FieldCipher, PatientRecord, PatientRepository } from '../patient/ports.js';

export interface ExportRecordDeps extends StepUpDeps {
  repository: PatientRepository;
  /** The stage's requireMfa: the export discloses the record, as GET /me does. */
  requireMfa?: boolean;
  cipher: FieldCipher;
  sessions: SessionStore;
  /** Read back for the caller's own events only (`eventsFor(caller.patientId)`). */
  trail: Pick<AuditTrail, 'eventsFor'>;
  auditor: AuditRecorder;
  clock: Clock;
}

/**
 * One event of the patient's own trail as the export shows it: what happened, when, with what
 * outcome, through which session. Left out: the patient id (it is the caller's) and the keyed digest
 * of the source address. The digest is the same for every patient behind one address, so two
 * patients comparing their exports would learn that they shared a network; it says nothing to the
 * patient alone. Tokens, hashes and values were never in an event.
 */
export interface AuditEntryView {
  id: string;
  at: string;
  action: AuditEvent['action'];
  outcome: AuditEvent['outcome'];
  reason?: string;
  /** The record fields read or changed, by name. */
  fields?: readonly string[];
  /** The session the event came through: an `id` of GET /me/sessions while it lives. */
  session_id?: string;
  /** API Gateway's request id: what to quote to support about one request. */
  request_id?: string;
}

/** GET /me/export: everything held about the patient, for the right of access (HIPAA 45 CFR 164.524). */
export interface RecordExport {
  exported_at: string;
  /** As GET /me answers it: decrypted, without the password hash. */
  record: PatientView;
  /** As GET /me/sessions answers them. */
  sessions: SessionView[];
  /** Every event naming the patient, oldest first, up to (not including) this export. */
  audit_trail: AuditEntryView[];
}

/** The forms of the export: the service's JSON, or a FHIR R4 collection Bundle (lib/record/fhir.ts). */
export const EXPORT_FORMATS = ['json', 'fhir'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `?format=`: absent is JSON; anything but the listed names (exactly, lower case) is a 400. */
export function exportFormatOf(format: string | undefined): ExportFormat {
  if (format === undefined) return 'json';
  if ((EXPORT_FORMATS as readonly string[]).includes(format)) return format as ExportFormat;
  throw new BadRequestError(`format must be one of: ${EXPORT_FORMATS.join(', ')}`);
}

/**
 * Whether the caller may export: the one place the export is allowed or refused, so a further rule
 * (a recent sign-in, a step-up) is added here and nowhere else. Only the token's own patient, and
 * only while active; a refusal is audited.
 */
async function exportablePatient(caller: VerifiedAccessToken, context: RequestContext, deps: ExportRecordDeps): Promise<PatientRecord> {
  requireMultiFactor(caller, deps.requireMfa === true);
  const patient = await deps.repository.getPatient(caller.patientId);
  // A valid token for a patient no longer stored (a lapsed registration): the token is what is wrong.
  if (!patient) throw new InvalidAccessTokenError('unknown_subject');
  const refuse = (reason: string) =>
    deps.auditor.record(context, { action: 'record_export', outcome: 'failure', reason, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }) });
  if (!patient.is_active) {
    await refuse('inactive');
    throw new SignInRefusedError('inactive');
  }
  // Issue 21: everything held about the patient goes out, so a sign-in within 10 minutes (AAL2 with a second factor).
  await requireRecentSignInAudited(caller, deps, (_outcome, reason) => refuse(reason));
  return patient;
}

/** Copied field by field: nothing the trail's stores add to an event can reach the answer. */
function toAuditEntry(event: AuditEvent): AuditEntryView {
  return {
    id: event.id,
    at: event.at,
    action: event.action,
    outcome: event.outcome,
    ...(event.reason !== undefined && { reason: event.reason }),
    ...(event.fields !== undefined && { fields: [...event.fields] }),
    ...(event.sessionId !== undefined && { session_id: event.sessionId }),
    ...(event.requestId !== undefined && { request_id: event.requestId }),
  };
}

/**
 * GET /me/export: the decrypted record, the live sessions and the patient's own audit trail. Every
 * part is read by the token's patient id, never by anything in the request. The export is audited
 * (`record_export`, with the record fields disclosed) after everything is read and before the answer
 * leaves: an export that cannot be audited is not answered, and one that failed is not logged as
 * given. So the trail it shows ends just before it; the next export shows it.
 */
export async function exportOwnRecord(caller: VerifiedAccessToken, context: RequestContext, deps: ExportRecordDeps): Promise<RecordExport> {
  const patient = await exportablePatient(caller, context, deps);
  const [record, sessions, events] = await Promise.all([
    toView(patient, deps.cipher),
    listSessions(caller, deps),
    deps.trail.eventsFor(patient.id),
  ]);
  const exportedAt = deps.clock.now().toISOString();
  await deps.auditor.record(context, { action: 'record_export', outcome: 'success', patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), fields: Object.keys(record) });
  logger.info('record export', { outcome: 'success', patientId: patient.id, sessions: sessions.length, events: events.length });
  return { exported_at: exportedAt, record, sessions, audit_trail: events.map(toAuditEntry) };
}
