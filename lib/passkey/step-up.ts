import type { VerifiedAccessToken } from '../auth/ports.js';
import type { SecondFactorMethod, SecondFactors } from '../auth/second-factor-ports.js';
import { requireRecentSignIn, type StepUpDeps } from '../auth/step-up.js';
import type { PasskeyStore } from './ports.js';

/**
 * Adding or removing a passkey changes the account's factors: a sign-in within the last 10 minutes,
 * at AAL2 when the patient already holds a second factor (lib/auth/step-up.ts, RFC 9470).
 */
export function requirePasskeyStepUp(caller: VerifiedAccessToken, deps: StepUpDeps): Promise<void> {
  return requireRecentSignIn(caller, deps);
}

/**
 * What passkeys add to SecondFactors: `passkey` while the patient holds one. The lead's join with the
 * authenticator app's (TOTP) answer replaces this where both are wired.
 */
export function passkeySecondFactors(passkeys: Pick<PasskeyStore, 'listFor'>): SecondFactors {
  return {
    async methodsOf(patientId): Promise<SecondFactorMethod[]> {
      return (await passkeys.listFor(patientId)).length > 0 ? ['passkey'] : [];
    },
  };
}
