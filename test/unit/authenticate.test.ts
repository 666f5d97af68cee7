import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { InvalidAccessTokenError } from '../../lib/errors.js';
import { createFixedClock, createInMemorySessionStore, createTestAccessTokens } from '../support/fakes/index.js';

describe('authenticate (Authorization: Bearer)', () => {
  const tokens = createTestAccessTokens();
  const clock = createFixedClock();
  const sessions = createInMemorySessionStore();
  const deps = { tokens, sessions, clock };
  const DAY = 24 * 3600_000;

  /** A live session of `patientId` and an access token naming it. */
  async function signedIn(patientId = randomUUID()) {
    const familyId = randomUUID();
    await sessions.startFamily({ familyId, patientId, tokenHash: randomUUID(), now: clock.now(), idleTtlMs: DAY, absoluteTtlMs: 2 * DAY });
    return { patientId, familyId, token: (await tokens.issue(patientId, clock.now(), familyId)).token };
  }
  const reasonOf = async (headers: Record<string, string>) => {
    const error = await authenticate(headers, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    return (error as InvalidAccessTokenError).reason;
  };

  it('accepts our token of a live session in either header case and with any scheme case', async () => {
    const { patientId, token } = await signedIn();
    for (const headers of [{ authorization: `Bearer ${token}` }, { Authorization: `bearer ${token}` }]) {
      await expect(authenticate(headers, deps)).resolves.toMatchObject({ patientId });
    }
  });

  it.each([
    ['no header', {}, 'missing'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'malformed_header'],
    ['two tokens', { authorization: 'Bearer a.b.c d.e.f' }, 'malformed_header'],
    ['an empty token', { authorization: 'Bearer ' }, 'malformed_header'],
  ])('%s → 401 (%s)', async (_case, headers, reason) => {
    expect(await reasonOf(headers)).toBe(reason);
  });

  it('a token signed by another key is refused', async () => {
    const { patientId, familyId } = await signedIn();
    const { token } = await createTestAccessTokens().issue(patientId, clock.now(), familyId);
    await expect(authenticate({ authorization: `Bearer ${token}` }, deps)).rejects.toBeInstanceOf(InvalidAccessTokenError);
  });

  it('a token whose session was revoked is refused at once, though its signature is good for 15 minutes', async () => {
    const { patientId, familyId, token } = await signedIn();
    await sessions.revokeFamily({ familyId, patientId }, clock.now());
    expect(await reasonOf({ authorization: `Bearer ${token}` })).toBe('session_ended');
  });

  it('a token naming another patient\'s session, or none, is refused', async () => {
    const { familyId } = await signedIn();
    const stranger = (await tokens.issue(randomUUID(), clock.now(), familyId)).token;
    expect(await reasonOf({ authorization: `Bearer ${stranger}` })).toBe('session_ended');
    const sessionless = (await tokens.issue(randomUUID(), clock.now())).token;
    expect(await reasonOf({ authorization: `Bearer ${sessionless}` })).toBe('no_session');
  });
});
