import { PASSKEY_SIGN_IN } from '../auth/assurance.js';
import { startSession, type SessionDeps, type SessionTokens } from '../auth/session-issuer.js';

/**
 * A passkey sign-in's session: `amr` ["hwk", "user"] (RFC 8176: a key held by an authenticator, the
 * user verified on it), hence `acr` AAL2 (lib/auth/assurance.ts), kept by the family across refreshes.
 */
export function startPasskeySession(patientId: string, deps: SessionDeps, device: string | undefined, authTime: Date): Promise<{ tokens: SessionTokens; sessionId: string }> {
  return startSession(patientId, deps, device, { amr: [...PASSKEY_SIGN_IN], authTime });
}
