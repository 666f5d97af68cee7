import { describe, expect, it } from 'vitest';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { hashRefreshToken } from '../../lib/auth/refresh-token.js';
import { REFRESH_REUSE_INTERVAL_MS, SESSION_ABSOLUTE_TTL_MS, SESSION_IDLE_TTL_MS } from '../../lib/auth/session-issuer.js';
import { signInSession as signIn } from '../support/signed-in.js';
import { signOut } from '../../lib/auth/sign-out.js';
import { InvalidRefreshTokenError, ServiceUnavailableError } from '../../lib/errors.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';
import { successorRefreshToken } from '../../lib/auth/refresh-token.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../support/identifier-keys.js';

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

  it('a rotated token presented again after the reuse interval revokes the family: the newest token stops working too', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    const next = await refresh(deps, tokens.refresh_token);
    deps.clock.advance(REFRESH_REUSE_INTERVAL_MS);
    expect(await refusal(refresh(deps, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect(await refusal(refresh(deps, next.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect((await deps.audit.eventsFor(patientId)).map((e) => e.action)).toContain('refresh_token_reuse');
  });

  it('another session of the same patient survives the reuse', async () => {
    const deps = createFakeDeps();
    const { email, password, tokens } = await signedIn(deps);
    const other = await signIn({ email, password }, CONTEXT, deps);
    await refresh(deps, tokens.refresh_token);
    deps.clock.advance(REFRESH_REUSE_INTERVAL_MS);
    await refusal(refresh(deps, tokens.refresh_token));
    await expect(refresh(deps, other.refresh_token)).resolves.toBeDefined();
  });

  it('20 refreshes of one token at once all get the same successor, and the session lives on', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(deps, tokens.refresh_token)));
    expect(new Set(answers.map((a) => a.refresh_token)).size).toBe(1);
    const caller = await callerOf(deps, answers[0]!.access_token);
    expect(await deps.sessions.isLive({ familyId: caller.sessionId!, patientId }, deps.clock.now())).toBe(true);
    await expect(refresh(deps, answers[0]!.refresh_token)).resolves.toBeDefined();
    expect((await deps.audit.eventsFor(patientId)).map((e) => e.action)).not.toContain('refresh_token_reuse');
  });

  it('a retry of a refresh whose answer was lost, within the reuse interval, gets the same successor', async () => {
    const deps = createFakeDeps();
    const { tokens } = await signedIn(deps);
    const lost = await refresh(deps, tokens.refresh_token);
    deps.clock.advance(REFRESH_REUSE_INTERVAL_MS - 1);
    const retried = await refresh(deps, tokens.refresh_token);
    expect(retried.refresh_token).toBe(lost.refresh_token);
    await expect(refresh(deps, retried.refresh_token)).resolves.toBeDefined();
  });

  it('a 503 after the rotation committed (the audit write failed): the client’s retry gets a working session (issue 19 item 6)', async () => {
    const deps = createFakeDeps();
    const { patientId, tokens } = await signedIn(deps);
    let failNext = true;
    const auditor = {
      record: async (...args: Parameters<FakeDeps['auditor']['record']>) => {
        if (failNext && args[1].action === 'token_refresh') {
          failNext = false;
          throw new ServiceUnavailableError('audit');
        }
        return deps.auditor.record(...args);
      },
    };
    expect(await refusal(refreshSession(tokens.refresh_token, CONTEXT, { ...deps, auditor }))).toBeInstanceOf(ServiceUnavailableError);
    deps.clock.advance(2000);
    const retried = await refreshSession(tokens.refresh_token, CONTEXT, { ...deps, auditor });
    expect((await callerOf(deps, retried.access_token)).patientId).toBe(patientId);
    await expect(refresh(deps, retried.refresh_token)).resolves.toBeDefined();
    expect((await deps.audit.eventsFor(patientId)).map((e) => e.action)).not.toContain('refresh_token_reuse');
  });

  it('the rotated token is reuse once its successor has been used, even within the interval', async () => {
    const deps = createFakeDeps();
    const { tokens } = await signedIn(deps);
    const next = await refresh(deps, tokens.refresh_token);
    const after = await refresh(deps, next.refresh_token);
    expect(await refusal(refresh(deps, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect(await refusal(refresh(deps, after.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
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
    deps.sessions.revokeFamily = async (family, now) => {
      revoked.push(family.familyId);
      return revokeFamily(family, now);
    };
    deps.repository.setActive(patientId, false);
    expect(await refusal(refresh(deps, tokens.refresh_token))).toBeInstanceOf(InvalidRefreshTokenError);
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'token_refresh', reason: 'inactive' });
    // The session itself ended, not only this answer: its family is revoked in the store.
    const family = await deps.sessions.familyOf(hashRefreshToken(tokens.refresh_token));
    expect(revoked).toEqual([family?.familyId]);
  });
});

describe('successorRefreshToken', () => {
  it('is the same for the same token and key, another for another token or key, and looks like a random token', async () => {
    const digests = testIdentifierDigests(identifierKeyRingJson());
    const parent = 'A'.repeat(43);
    const successor = await successorRefreshToken(parent, digests);
    expect(successor).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await successorRefreshToken(parent, digests)).toBe(successor);
    expect(await successorRefreshToken('B'.repeat(43), digests)).not.toBe(successor);
    expect(await successorRefreshToken(parent, testIdentifierDigests(identifierKeyRingJson()))).not.toBe(successor);
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
