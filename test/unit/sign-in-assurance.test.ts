import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { ACR_AAL1, ACR_AAL2, PASSKEY_SIGN_IN, TWO_FACTOR_SIGN_IN } from '../../lib/auth/assurance.js';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { createFakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const MINUTE = 60_000;
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

describe('access tokens state how the session was signed in (amr, auth_time, acr)', () => {
  it('a password sign-in: amr [pwd], auth_time the sign-in, AAL1', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps);
    const answer = await signIn({ email: patient.email, password: patient.password }, CONTEXT, deps);
    expect(decodeJwt(answer.access_token)).toMatchObject({ amr: ['pwd'], auth_time: seconds(deps.clock.now()), acr: ACR_AAL1 });
    expect(await deps.tokens.verify(answer.access_token, deps.clock.now())).toMatchObject({ amr: ['pwd'], authTime: new Date(seconds(deps.clock.now()) * 1000), acr: ACR_AAL1 });
  });

  it('password and one-time code, or a passkey alone: AAL2', async () => {
    const deps = createFakeDeps();
    const now = deps.clock.now();
    const twoFactor = await deps.tokens.issue('p', now, 's', { amr: TWO_FACTOR_SIGN_IN, authTime: now });
    const passkey = await deps.tokens.issue('p', now, 's', { amr: PASSKEY_SIGN_IN, authTime: now });
    expect((await deps.tokens.verify(twoFactor.token, now)).acr).toBe(ACR_AAL2);
    expect((await deps.tokens.verify(passkey.token, now))).toMatchObject({ amr: ['hwk', 'user'], acr: ACR_AAL2 });
  });

  it('a refresh is not a sign-in: the refreshed token keeps the original auth_time and amr', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps);
    const signedInAt = deps.clock.now();
    const { tokens } = await startSession(patient.patientId, deps, undefined, { amr: TWO_FACTOR_SIGN_IN, authTime: signedInAt });
    deps.clock.advance(20 * MINUTE);
    const next = await refreshSession(tokens.refresh_token, CONTEXT, deps);
    expect(await deps.tokens.verify(next.access_token, deps.clock.now())).toMatchObject({ amr: ['pwd', 'otp'], authTime: signedInAt, acr: ACR_AAL2 });
  });
});
