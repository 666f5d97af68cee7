import { afterAll, describe, expect, it } from 'vitest';
import { totpCodeAt, totpStepAt } from '../../lib/auth/totp.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { apiEvent, invoke } from '../support/requests.js';

/**
 * A stage with requireMfa on (REQUIRE_MFA=true, issue 21), through the real handlers on DynamoDB
 * Local. Set before the handlers load: they read their configuration at module load, like a cold start.
 */
process.env.REQUIRE_MFA = 'true';
afterAll(() => {
  delete process.env.REQUIRE_MFA;
});
const { api, verifiedPatient } = await import('../support/sign-in-api.js');
const { handler: meTotp } = await import('../../functions/me-totp/handler.js');
const { handler: meTotpConfirm } = await import('../../functions/me-totp-confirm/handler.js');
const { handler: loginMfa } = await import('../../functions/login-mfa/handler.js');
const bearer = (accessToken: string) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` });

describe('requireMfa on', { timeout: 180_000 }, () => {
  it('GET and PATCH /me refuse a password-only sign-in with the step-up challenge; the patient sets up an app, signs in with it, and reads the record', async () => {
    const { body, session } = await verifiedPatient();
    const refused = await api.meAs(session.access_token);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers?.['WWW-Authenticate']).toBe(
      `Bearer error="insufficient_user_authentication", error_description="${refused.body.message}", acr_values="http://idmanagement.gov/ns/assurance/aal/2"`,
    );
    expect((await api.meUpdate(session.access_token, { first_name: 'Janet' }, { 'If-Match': '*' })).statusCode).toBe(401);
    // Not locked out: setting up the app is open to the fresh password sign-in.
    const { secret } = (await invoke(meTotp, apiEvent(undefined, { path: API_PATHS.meTotp, headers: { Authorization: `Bearer ${session.access_token}` } }))).body.data;
    const step = totpStepAt(new Date());
    expect((await invoke(meTotpConfirm, apiEvent({ code: totpCodeAt(secret, step) }, { path: API_PATHS.meTotpConfirm, headers: bearer(session.access_token) }))).statusCode).toBe(200);
    const { mfa_token: mfaToken } = (await api.login(body.email, body.password)).body.data;
    const aal2 = (await invoke(loginMfa, apiEvent({ mfa_token: mfaToken, code: totpCodeAt(secret, step + 1) }, { path: API_PATHS.loginMfa }))).body.data;
    const record = await api.meAs(aal2.access_token);
    expect(record.statusCode).toBe(200);
    expect(record.body.data.email).toBe(body.email);
  });
});
