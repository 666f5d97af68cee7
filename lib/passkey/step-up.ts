import type { VerifiedAccessToken } from '../auth/ports.js';
import { requireRecentSignIn, type StepUpDeps } from '../auth/step-up.js';

/**
 * Adding or removing a passkey changes the account's factors: a sign-in within the last 10 minutes,
 * at AAL2 when the patient already holds a second factor (lib/auth/step-up.ts, RFC 9470).
 */
export function requirePasskeyStepUp(caller: VerifiedAccessToken, deps: StepUpDeps): Promise<void> {
  return requireRecentSignIn(caller, deps);
}

