import type { VerifiedAccessToken } from '../auth/ports.js';
import { InvalidAccessTokenError } from '../errors.js';

/**
 * How long after a sign-in a patient may change their factors without signing in again (issue 21:
 * "recent sign-in"). The one place the passkey flows ask for a step-up, so the shared rule
 * (lib/auth/step-up.ts of the MFA work) replaces this body alone.
 */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

export async function requirePasskeyStepUp(caller: VerifiedAccessToken, now: Date): Promise<void> {
  // Until tokens carry auth_time, the token's own issue time bounds it from above.
  if (now.getTime() - caller.issuedAt.getTime() > RECENT_SIGN_IN_MS) throw new InvalidAccessTokenError('step_up_required');
}
