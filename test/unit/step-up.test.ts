import { describe, expect, it } from 'vitest';
import { ACR_AAL2, PASSWORD_SIGN_IN, TWO_FACTOR_SIGN_IN } from '../../lib/auth/assurance.js';
import type { VerifiedAccessToken } from '../../lib/auth/ports.js';
import type { SecondFactorMethod } from '../../lib/auth/second-factor-ports.js';
import { requireMultiFactor, requireRecentSignIn, requireStepUp, STEP_UP_MAX_AGE_SECONDS } from '../../lib/auth/step-up.js';
import { StepUpRequiredError } from '../../lib/errors.js';
import { toErrorResponse } from '../../lib/http/error-mapper.js';
import { createFakeDeps, createFixedClock } from '../support/fakes/index.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

async function caller(amr: string[], authTime: Date): Promise<VerifiedAccessToken> {
  const { tokens } = createFakeDeps();
  return tokens.verify((await tokens.issue('patient-1', authTime, 'session-1', { amr, authTime })).token, authTime);
}
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return expect.fail('no step-up asked');
};

describe('requireStepUp (RFC 9470)', () => {
  it('a sign-in within the last 10 minutes passes; one second older asks for a new sign-in (max_age=600)', async () => {
    requireStepUp(await caller(PASSWORD_SIGN_IN, ago(STEP_UP_MAX_AGE_SECONDS)), { secondFactorEnrolled: false }, NOW);
    const old = await caller(PASSWORD_SIGN_IN, ago(STEP_UP_MAX_AGE_SECONDS + 1));
    const stale = refusal(() => requireStepUp(old, { secondFactorEnrolled: false }, NOW));
    expect(stale).toBeInstanceOf(StepUpRequiredError);
    expect((stale as StepUpRequiredError).need).toEqual({ maxAgeSeconds: 600 });
  });

  it('with a second factor enrolled, a fresh password-only sign-in (AAL1) is not enough; AAL2 is', async () => {
    const aal1 = await caller(PASSWORD_SIGN_IN, ago(10));
    const weak = refusal(() => requireStepUp(aal1, { secondFactorEnrolled: true }, NOW));
    expect((weak as StepUpRequiredError).need).toEqual({ maxAgeSeconds: 600, acrValues: ACR_AAL2 });
    requireStepUp(await caller(TWO_FACTOR_SIGN_IN, ago(10)), { secondFactorEnrolled: true }, NOW);
  });

  it('an AAL2 sign-in still gets old', async () => {
    const old = await caller(TWO_FACTOR_SIGN_IN, ago(STEP_UP_MAX_AGE_SECONDS + 1));
    expect(refusal(() => requireStepUp(old, { secondFactorEnrolled: true }, NOW))).toBeInstanceOf(StepUpRequiredError);
  });

  it('requireRecentSignIn looks the factors up: enrolled means AAL2 is needed', async () => {
    let methods: SecondFactorMethod[] = [];
    const deps = { secondFactors: { methodsOf: async () => methods }, clock: createFixedClock(NOW) };
    const aal1 = await caller(PASSWORD_SIGN_IN, ago(10));
    await requireRecentSignIn(aal1, deps);
    methods = ['totp'];
    await expect(requireRecentSignIn(aal1, deps)).rejects.toBeInstanceOf(StepUpRequiredError);
    await requireRecentSignIn(await caller(TWO_FACTOR_SIGN_IN, ago(10)), deps);
  });

  it('requireMfa refuses AAL1 however recent, and asks nothing when off', async () => {
    const aal1 = await caller(PASSWORD_SIGN_IN, NOW);
    requireMultiFactor(aal1, false);
    expect((refusal(() => requireMultiFactor(aal1, true)) as StepUpRequiredError).need).toEqual({ acrValues: ACR_AAL2 });
    requireMultiFactor(await caller(TWO_FACTOR_SIGN_IN, ago(3600)), true);
  });
});

describe('the step-up answer', () => {
  it('is a 401 in the spec envelope with an RFC 9470 challenge naming max_age and acr_values', () => {
    const response = toErrorResponse(new StepUpRequiredError({ maxAgeSeconds: 600, acrValues: ACR_AAL2 }));
    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe(
      `Bearer error="insufficient_user_authentication", error_description="Sign in again with your second factor (within the last 10 minutes) to do this", acr_values="${ACR_AAL2}", max_age=600`,
    );
    expect(JSON.parse(response.body)).toEqual({ success: false, message: 'Sign in again with your second factor (within the last 10 minutes) to do this' });
    expect(toErrorResponse(new StepUpRequiredError({ maxAgeSeconds: 600 })).headers['WWW-Authenticate']).toBe(
      'Bearer error="insufficient_user_authentication", error_description="Sign in again (within the last 10 minutes) to do this", max_age=600',
    );
  });
});
