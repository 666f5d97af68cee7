import { logger } from '../logging/logger.js';
import type { Clock } from '../patient/ports.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import type { VerifiedAccessToken } from './ports.js';
import { hashRefreshToken } from './refresh-token.js';
import type { SessionStore } from './session-ports.js';

export interface SignOutDeps {
  sessions: SessionStore;
  auditor: AuditRecorder;
  clock: Clock;
}

/**
 * POST /logout: ends the session the refresh token belongs to, if it is the caller's own. Signing
 * out is idempotent, so a token already gone (or not the caller's) is answered the same way; only
 * the audit trail tells them apart.
 */
export async function signOut(caller: VerifiedAccessToken, refreshToken: string, context: RequestContext, deps: SignOutDeps): Promise<void> {
  const family = await deps.sessions.familyOf(hashRefreshToken(refreshToken));
  const patientId = caller.patientId;
  if (family?.patientId !== patientId) {
    const reason = family ? 'not_own_session' : 'unknown_token';
    logger.info('sign-out', { outcome: 'failure', reason, patientId });
    await deps.auditor.record(context, { action: 'sign_out', outcome: 'failure', reason, patientId });
    return;
  }
  await deps.sessions.revokeFamily(family, deps.clock.now());
  logger.info('sign-out', { outcome: 'success', patientId, sessionId: family.familyId });
  await deps.auditor.record(context, { action: 'sign_out', outcome: 'success', patientId, sessionId: family.familyId });
}
