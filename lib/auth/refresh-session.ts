import { InvalidRefreshTokenError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock, PatientRepository } from '../patient/ports.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import type { AccessTokens } from './ports.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { hashRefreshToken, successorRefreshToken } from './refresh-token.js';
import { REFRESH_REUSE_INTERVAL_MS, sessionTokens, UNRECORDED_SIGN_IN, type SessionTokens } from './session-issuer.js';
import type { SessionStore } from './session-ports.js';

export interface RefreshDeps {
  sessions: SessionStore;
  tokens: AccessTokens;
  repository: PatientRepository;
  auditor: AuditRecorder;
  /** Keys the successor of each refresh token (see successorRefreshToken). */
  identifiers: IdentifierDigests;
  clock: Clock;
}

/**
 * POST /token/refresh: swaps a refresh token for a new pair. A token presented again within
 * REFRESH_REUSE_INTERVAL_MS of its rotation gets the same successor (a retry whose answer was lost,
 * two tabs at once), as Supabase Auth's reuse interval does; presented later it means two parties
 * hold it, and the store has already revoked its whole family, so both must sign in again.
 */
export async function refreshSession(refreshToken: string, context: RequestContext, deps: RefreshDeps): Promise<SessionTokens> {
  const now = deps.clock.now();
  const next = await successorRefreshToken(refreshToken, deps.identifiers);
  const result = await deps.sessions.rotate(hashRefreshToken(refreshToken), hashRefreshToken(next), now, REFRESH_REUSE_INTERVAL_MS);

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
    await deps.sessions.revokeFamily(result, now);
    logger.info('token refresh', { outcome: 'failure', reason: 'inactive', patientId: result.patientId });
    await deps.auditor.record(context, { action: 'token_refresh', outcome: 'failure', reason: 'inactive', patientId: result.patientId, sessionId: result.familyId });
    throw new InvalidRefreshTokenError();
  }
  const reason = result.repeated ? 'repeated' : undefined;
  logger.info('token refresh', { outcome: 'success', patientId: result.patientId, sessionId: result.familyId, ...(reason && { reason }) });
  await deps.auditor.record(context, { action: 'token_refresh', outcome: 'success', patientId: result.patientId, sessionId: result.familyId, ...(reason && { reason }) });
  // The family's own sign-in (amr, auth_time): a refresh is not a sign-in, so it never freshens them.
  return sessionTokens(result.patientId, next, deps.tokens, now, result.familyId, result.assurance ?? UNRECORDED_SIGN_IN);
}
