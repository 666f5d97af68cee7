import { InvalidAccessTokenError } from '../errors.js';
import type { Clock } from '../patient/ports.js';
import type { AccessTokens, VerifiedAccessToken } from './ports.js';
import type { SessionStore } from './session-ports.js';

/** RFC 6750 §2.1: `Authorization: Bearer <token>`, the scheme case-insensitive, exactly one token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export interface AuthenticateDeps {
  tokens: AccessTokens;
  sessions: Pick<SessionStore, 'isLive'>;
  clock: Clock;
}

/**
 * The caller's verified access token; InvalidAccessTokenError (401) for a missing or bad one, and
 * for one whose session has ended (logout, password reset or change, refresh-token reuse): the
 * signature alone would keep it working for up to 15 minutes. The check is one strongly consistent
 * point read of the session family named by `sid`, so an ending that has returned is seen by the
 * next request; a token without `sid` names no session that could be checked and is refused too.
 */
export async function authenticate(headers: Record<string, string | undefined> | undefined, deps: AuthenticateDeps): Promise<VerifiedAccessToken> {
  const header = headers?.authorization ?? headers?.Authorization;
  if (!header) throw new InvalidAccessTokenError('missing');
  const match = BEARER.exec(header);
  if (!match) throw new InvalidAccessTokenError('malformed_header');
  const now = deps.clock.now();
  const caller = await deps.tokens.verify(match[1]!, now);
  if (!caller.sessionId) throw new InvalidAccessTokenError('no_session');
  if (!(await deps.sessions.isLive({ familyId: caller.sessionId, patientId: caller.patientId }, now))) throw new InvalidAccessTokenError('session_ended');
  return caller;
}
