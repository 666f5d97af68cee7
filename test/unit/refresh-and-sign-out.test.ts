import { describe, expect, it } from 'vitest';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { hashRefreshToken } from '../../lib/auth/refresh-token.js';
import { SESSION_ABSOLUTE_TTL_MS, SESSION_IDLE_TTL_MS } from '../../lib/auth/session-issuer.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { signOut } from '../../lib/auth/sign-out.js';
import { InvalidRefreshTokenError } from '../../lib/errors.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const refusal = (promise: Promise<unknown>) => promise.then(() => expect.fail('refreshed'), (e: unknown) => e);
const refresh = (deps: FakeDeps, token: string) => refreshSession(token, CONTEXT, deps);
const callerOf = async (deps: FakeDeps, accessToken: string) => deps.tokens.verify(accessToken, deps.clock.now());

async function signedIn(deps: FakeDeps) {
  const patient = await registeredPatient(deps);
  return { ...patient, tokens: await signIn({ email: patient.email, password: patient.password }, CONTEXT, deps) };
}

describe('refreshSession', () => {
  it('swaps the refresh token for a new pair; the new access token names the same patient', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    const next = await refresh(deps, tokens.refresh_token);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next).toMatchObject({ patient_id: patientId, token_type: 'Bearer', expires_in: 900 });
    expect((await callerOf(deps, next.access_token)).patientId).toBe(patientId);
    await expect(refresh(deps, next.refresh_token)).resolves.toBeDefined();
  });

  it('a rotated token presented again revokes the family: the newest token stops working too', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    const next = await refresh(deps, tokens.refresh_token);
    expect(await refusal(refresh(deps, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect(await refusal(refresh(deps, next.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect((await deps.audit.eventsFor(patientId)).map((e) => e.action)).toContain('refresh_token_reuse');
  });

  it('another session of the same patient survives the reuse', async () => {
    const deps = createFakeDeps();
    const { email, password, tokens } = await signedIn(deps);
    const other = await signIn({ email, password }, CONTEXT, deps);
    await refresh(deps, tokens.refresh_token);
    await refusal(refresh(deps, tokens.refresh_token));
    await expect(refresh(deps, other.refresh_token)).resolves.toBeDefined();
  });

  it('an unknown token is refused', async () => {
    expect(await refusal(refresh(createFakeDeps(), 'A'.repeat(43)))).toBeInstanceOf(InvalidRefreshTokenError);
  });

  it('sliding: unused for 30 days the session ends; used every 29 days it lasts until day 90 and no longer', async () => {
    const idle = createFakeDeps();
    const { tokens } = await signedIn(idle);
    idle.clock.advance(SESSION_IDLE_TTL_MS);
    expect(await refusal(refresh(idle, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);

    const deps = createFakeDeps();
    let current = (await signedIn(deps)).tokens.refresh_token;
    const step = SESSION_IDLE_TTL_MS - 24 * 3600 * 1000;
    let elapsed = 0;
    while (elapsed + step < SESSION_ABSOLUTE_TTL_MS) {
      deps.clock.advance(step);
      elapsed += step;
      current = (await refresh(deps, current)).refresh_token;
    }
    deps.clock.advance(SESSION_ABSOLUTE_TTL_MS - elapsed);
    expect(await refusal(refresh(deps, current))).toBeInstanceOf(InvalidRefreshTokenError);
  });

  it('a deactivated patient cannot refresh, and its session ends', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    const revoked: string[] = [];
    const revokeFamily = deps.sessions.revokeFamily.bind(deps.sessions);
    deps.sessions.revokeFamily = async (familyId, now) => {
      revoked.push(familyId);
      return revokeFamily(familyId, now);
    };
    deps.repository.setActive(patientId, false);
    expect(await refusal(refresh(deps, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'token_refresh', reason: 'inactive' });
    // The session itself ended, not only this answer: its family is revoked in the store.
    const family = await deps.sessions.familyOf(hashRefreshToken(tokens.refresh_token));
    expect(revoked).toEqual([family?.familyId]);
  });
});

describe('signOut', () => {
  it('revokes the caller\'s session: its refresh token stops working', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    await signOut(await callerOf(deps, tokens.access_token), tokens.refresh_token, CONTEXT, deps);
    expect(await refusal(refresh(deps, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect((await deps.audit.eventsFor(patientId)).find((e) => e.action === 'sign_out')).toMatchObject({ outcome: 'success' });
  });

  it('only that session: the patient\'s other sessions go on', async () => {
    const deps = createFakeDeps();
    const { email, password, tokens } = await signedIn(deps);
    const other = await signIn({ email, password }, CONTEXT, deps);
    await signOut(await callerOf(deps, tokens.access_token), tokens.refresh_token, CONTEXT, deps);
    await expect(refresh(deps, other.refresh_token)).resolves.toBeDefined();
  });

  it('another patient\'s refresh token is left alone (and the call still succeeds)', async () => {
    const deps = createFakeDeps();
    const mallory = await signedIn(deps);
    const alice = await signedIn(deps);
    await signOut(await callerOf(deps, mallory.tokens.access_token), alice.tokens.refresh_token, CONTEXT, deps);
    await expect(refresh(deps, alice.tokens.refresh_token)).resolves.toBeDefined();
    expect((await deps.audit.eventsFor(mallory.patientId)).at(-1)).toMatchObject({ action: 'sign_out', outcome: 'failure', reason: 'not_own_session' });
  });

  it('signing out twice is fine', async () => {
    const deps = createFakeDeps();
    const { tokens } = await signedIn(deps);
    const caller = await callerOf(deps, tokens.access_token);
    await signOut(caller, tokens.refresh_token, CONTEXT, deps);
    await expect(signOut(caller, tokens.refresh_token, CONTEXT, deps)).resolves.toBeUndefined();
  });
});
