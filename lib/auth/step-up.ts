import { StepUpRequiredError } from '../errors.js';
import type { Clock } from '../patient/ports.js';
import { ACR_AAL2 } from './assurance.js';
import type { VerifiedAccessToken } from './ports.js';
import type { SecondFactors } from './second-factor-ports.js';

/**
 * How recent a sign-in must be for what matters (changing the email, phone, password or factors,
 * closing the account, the export): 10 minutes, as the issue asks; the refresh never freshens it.
 */
export const STEP_UP_MAX_AGE_SECONDS = 600;

/**
 * RFC 9470 step-up: throws StepUpRequiredError (401, `insufficient_user_authentication`) when the
 * caller's sign-in is older than STEP_UP_MAX_AGE_SECONDS, or when the patient holds a second factor
 * and this sign-in did not use it (AAL1). The error names everything that is missing at once.
 */
export function requireStepUp(caller: VerifiedAccessToken, need: { secondFactorEnrolled: boolean }, now: Date): void {
  const tooOld = now.getTime() - caller.authTime.getTime() > STEP_UP_MAX_AGE_SECONDS * 1000;
  const tooWeak = need.secondFactorEnrolled && caller.acr !== ACR_AAL2;
  if (tooOld || tooWeak) {
    throw new StepUpRequiredError({ maxAgeSeconds: STEP_UP_MAX_AGE_SECONDS, ...(tooWeak && { acrValues: ACR_AAL2 }) });
  }
}

export interface StepUpDeps {
  secondFactors: Pick<SecondFactors, 'methodsOf'>;
  clock: Clock;
}

/**
 * The one line a use case calls before a sensitive change: requireStepUp with the patient's factors
 * looked up. An AAL2 token needs no lookup (it already satisfies the factor rule).
 */
export async function requireRecentSignIn(caller: VerifiedAccessToken, deps: StepUpDeps): Promise<void> {
  const now = deps.clock.now();
  const secondFactorEnrolled = caller.acr === ACR_AAL2 ? true : (await deps.secondFactors.methodsOf(caller.patientId)).length > 0;
  requireStepUp(caller, { secondFactorEnrolled }, now);
}

/** requireRecentSignIn with the refusal audited under `audit` (reason `step_up`), for the use cases that audit their refusals. */
export async function requireRecentSignInAudited(
  caller: VerifiedAccessToken, deps: StepUpDeps, audit: (outcome: 'failure', reason: string) => Promise<void>,
): Promise<void> {
  try {
    await requireRecentSignIn(caller, deps);
  } catch (error) {
    if (error instanceof StepUpRequiredError) await audit('failure', 'step_up');
    throw error;
  }
}

/**
 * The stage setting `requireMfa` (a clinic's choice): every record route refuses a sign-in below
 * AAL2, however recent, with the same 401 as a step-up. Off: nothing is asked.
 */
export function requireMultiFactor(caller: VerifiedAccessToken, requireMfa: boolean): void {
  if (requireMfa && caller.acr !== ACR_AAL2) throw new StepUpRequiredError({ acrValues: ACR_AAL2 });
}
