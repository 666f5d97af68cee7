import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { InvalidAccessTokenError } from '../../lib/errors.js';
import { createFixedClock, createTestAccessTokens } from '../support/fakes/index.js';

describe('authenticate (Authorization: Bearer)', () => {
  const tokens = createTestAccessTokens();
  const clock = createFixedClock();

  it('accepts our token in either header case and with any scheme case', async () => {
    const { token } = await tokens.issue('patient-1', clock.now());
    for (const headers of [{ authorization: `Bearer ${token}` }, { Authorization: `bearer ${token}` }]) {
      await expect(authenticate(headers, tokens, clock)).resolves.toMatchObject({ patientId: 'patient-1' });
    }
  });

  it.each([
    ['no header', {}, 'missing'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'malformed_header'],
    ['two tokens', { authorization: 'Bearer a.b.c d.e.f' }, 'malformed_header'],
    ['an empty token', { authorization: 'Bearer ' }, 'malformed_header'],
  ])('%s → 401 (%s)', async (_case, headers, reason) => {
    const error = await authenticate(headers, tokens, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    expect((error as InvalidAccessTokenError).reason).toBe(reason);
  });

  it('a token signed by another key is refused', async () => {
    const { token } = await createTestAccessTokens().issue('patient-1', clock.now());
    await expect(authenticate({ authorization: `Bearer ${token}` }, tokens, clock)).rejects.toBeInstanceOf(InvalidAccessTokenError);
  });
});
