import { InvalidAccessTokenError, UnknownSessionError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock } from '../patient/ports.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import type { VerifiedAccessToken } from './ports.js';
import type { LiveSession, SessionStore } from './session-ports.js';

export interface OwnSessionsDeps {
  sessions: SessionStore;
  auditor: AuditRecorder;
  clock: Clock;
}

/** One session as GET /me/sessions shows it: ids and times, the device summary, never a token. */
export interface SessionView {
  /** The session family's id: the `sid` of its access tokens, what DELETE /me/sessions/{id} takes. */
  id: string;
  created_at: string;
  /** The sign-in, or the newest refresh since. */
  last_used_at: string;
  /** "Chrome 120 on macOS"; null when the client sent no recognisable user agent. */
  device: string | null;
  /** The session the request itself came from. */
  current: boolean;
}

/** Session ids are UUIDs (lib/auth/session-issuer.ts): anything else names no session, and no store is asked. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Most recently used first; ties by the newer sign-in, then by id, so the order is stable. */
const byRecentUse = (a: LiveSession, b: LiveSession) =>
  b.lastUsedAt.getTime() - a.lastUsedAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime() || a.familyId.localeCompare(b.familyId);

/** GET /me/sessions: the caller's live sessions, the current one flagged. */
export async function listSessions(caller: VerifiedAccessToken, deps: Pick<OwnSessionsDeps, 'sessions' | 'clock'>): Promise<SessionView[]> {
  const live = await deps.sessions.listLive(caller.patientId, deps.clock.now());
  return live.sort(byRecentUse).map((session) => ({
    id: session.familyId,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    device: session.device ?? null,
    current: session.familyId === caller.sessionId,
  }));
}

/**
 * DELETE /me/sessions/{id}: ends one of the caller's sessions; its refresh token and its access
 * tokens stop working at once (every Bearer request checks its session, lib/auth/authenticate.ts).
 * The store ends it only if it is the caller's and live, in the write itself; anything else is 404
 * (never 403: whether another patient's session exists is not the caller's to learn). Ending the
 * current session is allowed: it is a sign-out.
 */
export async function endSession(caller: VerifiedAccessToken, sessionId: string, context: RequestContext, deps: OwnSessionsDeps): Promise<void> {
  const patientId = caller.patientId;
  const ended = SESSION_ID.test(sessionId) && (await deps.sessions.endOwn({ patientId, familyId: sessionId }, deps.clock.now()));
  if (!ended) {
    logger.info('session end', { outcome: 'failure', reason: 'unknown_session', patientId });
    await deps.auditor.record(context, { action: 'session_end', outcome: 'failure', reason: 'unknown_session', patientId });
    throw new UnknownSessionError();
  }
  const reason = sessionId === caller.sessionId ? 'current' : undefined;
  logger.info('session end', { outcome: 'success', patientId, sessionId, ...(reason && { reason }) });
  await deps.auditor.record(context, { action: 'session_end', outcome: 'success', patientId, sessionId, ...(reason && { reason }) });
}

/** POST /me/sessions/revoke-others: ends every session of the caller but the one the request came from. */
export async function endOtherSessions(caller: VerifiedAccessToken, context: RequestContext, deps: OwnSessionsDeps): Promise<void> {
  const patientId = caller.patientId;
  // authenticate() already refuses a token without `sid`; without one, "the others" would be all of them.
  if (!caller.sessionId) throw new InvalidAccessTokenError('no_session');
  await deps.sessions.endOthers(patientId, caller.sessionId, deps.clock.now());
  logger.info('session end', { outcome: 'success', reason: 'others', patientId, sessionId: caller.sessionId });
  await deps.auditor.record(context, { action: 'session_end', outcome: 'success', reason: 'others', patientId, sessionId: caller.sessionId });
}
