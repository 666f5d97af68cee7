import { InvalidAccessTokenError } from '../errors.js';
import type { Clock } from '../patient/ports.js';
import type { AccessTokens, VerifiedAccessToken } from './ports.js';

/** RFC 6750 §2.1: `Authorization: Bearer <token>`, the scheme case-insensitive, exactly one token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The caller's verified access token; InvalidAccessTokenError (401) for a missing or bad one. */
export async function authenticate(headers: Record<string, string | undefined> | undefined, tokens: AccessTokens, clock: Clock): Promise<VerifiedAccessToken> {
  const header = headers?.authorization ?? headers?.Authorization;
  if (!header) throw new InvalidAccessTokenError('missing');
  const match = BEARER.exec(header);
  if (!match) throw new InvalidAccessTokenError('malformed_header');
  return tokens.verify(match[1]!, clock.now());
}
