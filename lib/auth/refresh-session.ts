import { InvalidRefreshTokenError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock, PatientRepository } from '../patient/ports.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import type { AccessTokens } from './ports.js';
import { hashRefreshToken, newRefreshToken } from './refresh-token.js';
import { sessionTokens, type SessionTokens } from './session-issuer.js';
import type { SessionStore } from './session-ports.js';

export interface RefreshDeps {
  sessions: SessionStore;
  tokens: AccessTokens;
  repository: PatientRepository;
  auditor: AuditRecorder;
  clock: Clock;
}

/**
 * POST /token/refresh: swaps a refresh token for a new pair. A token presented twice means two
 * parties hold it; the store has already revoked its whole family, so both must sign in again.
 */
export async function refreshSession(refreshToken: string, context: RequestContext, deps: RefreshDeps): Promise<SessionTokens> {
  const now = deps.clock.now();
  const next = newRefreshToken();
  const result = await deps.sessions.rotate(hashRefreshToken(refreshToken), hashRefreshToken(next), now);

  if (result.outcome === 'reused') {
    logger.warn('refresh token reuse', { patientId: result.patientId, sessionId: result.familyId });
    await deps.auditor.record(context, { action: 'refresh_token_reuse', outcome: 'failure', reason: 'reused', patientId: result.patientId, sessionId: result.familyId });
    throw new InvalidRefreshTokenError();
  }
  if (result.outcome !== 'rotated') {
    logger.info('token refresh', { outcome: 'failure', reason: result.outcome });
    await deps.auditor.record(context, { action: 'token_refresh', outcome: 'failure', reason: result.outcome });
    throw new InvalidRefreshTokenError();
  }
  // A deactivated (or removed) patient keeps no session, whatever its tokens say.
  const patient = await deps.repository.getPatient(result.patientId);
  if (!patient?.is_active) {
    await deps.sessions.revokeFamily(result.familyId, now);
    logger.info('token refresh', { outcome: 'failure', reason: 'inactive', patientId: result.patientId });
    await deps.auditor.record(context, { action: 'token_refresh', outcome: 'failure', reason: 'inactive', patientId: result.patientId, sessionId: result.familyId });
    throw new InvalidRefreshTokenError();
  }
  logger.info('token refresh', { outcome: 'success', patientId: result.patientId, sessionId: result.familyId });
  await deps.auditor.record(context, { action: 'token_refresh', outcome: 'success', patientId: result.patientId, sessionId: result.familyId });
  return sessionTokens(result.patientId, next, deps.tokens, now, result.familyId);
}
