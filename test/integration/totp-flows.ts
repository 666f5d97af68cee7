import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { handler as loginMfa } from '../../functions/login-mfa/handler.js';
import { handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { handler as meTotp } from '../../functions/me-totp/handler.js';
import { handler as meTotpConfirm } from '../../functions/me-totp-confirm/handler.js';
import { handler as meTotpRemove } from '../../functions/me-totp-remove/handler.js';
import { ACR_AAL2 } from '../../lib/auth/assurance.js';
import { totpCodeAt, totpStepAt } from '../../lib/auth/totp.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { mailsTo, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/requests.js';
import { api, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';

/**
 * The authenticator app (issue 21) through the real handlers, on whichever store the importing test
 * file set (DynamoDB Local by default; useStorage before this module is imported, as handlers build
 * their dependencies at module load).
 */
const json = { 'Content-Type': 'application/json' };
const bearer = (accessToken: string) => ({ ...json, Authorization: `Bearer ${accessToken}` });
const totp = {
  begin: (accessToken: string) => invoke(meTotp, apiEvent(undefined, { path: API_PATHS.meTotp, headers: { Authorization: `Bearer ${accessToken}` } })),
  confirm: (accessToken: string, code: string) => invoke(meTotpConfirm, apiEvent({ code }, { path: API_PATHS.meTotpConfirm, headers: bearer(accessToken) })),
  remove: (accessToken: string, proof: object) => invoke(meTotpRemove, apiEvent(proof, { method: 'DELETE', path: API_PATHS.meTotp, headers: bearer(accessToken) })),
  signIn: (mfaToken: string, proof: object) => invoke(loginMfa, apiEvent({ mfa_token: mfaToken, ...proof }, { path: API_PATHS.loginMfa })),
};
/** A code that is not the current one (five steps ahead: outside the drift window). */
const wrongCode = (secret: string) => totpCodeAt(secret, totpStepAt(new Date()) + 5);

async function withApp() {
  const patient = await verifiedPatient();
  const { secret } = (await totp.begin(patient.session.access_token)).body.data;
  const step = totpStepAt(new Date());
  const confirmed = await totp.confirm(patient.session.access_token, totpCodeAt(secret, step));
  expect(confirmed.statusCode).toBe(200);
  return { ...patient, secret, step, recoveryCodes: confirmed.body.data.recovery_codes as string[] };
}

export function describeTotpFlows(store: string): void {
  // Each test hashes and compares with bcrypt several times: generous on a loaded 2-core machine.
  describe(`an authenticator app through the handlers (${store})`, { timeout: 180_000 }, () => {
    it('confirming: five wrong codes lock this session for confirming (429), a new sign-in confirms', async () => {
      const { body, session } = await verifiedPatient();
      const { secret } = (await totp.begin(session.access_token)).body.data;
      for (let i = 0; i < 5; i++) expect((await totp.confirm(session.access_token, wrongCode(secret))).statusCode).toBe(401);
      const locked = await totp.confirm(session.access_token, totpCodeAt(secret, totpStepAt(new Date())));
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers?.['Retry-After'])).toBeGreaterThan(0);
      const fresh = (await api.login(body.email, body.password)).body.data;
      expect((await totp.confirm(fresh.access_token, totpCodeAt(secret, totpStepAt(new Date())))).statusCode).toBe(200);
    });

    it('signs in in two steps (AAL2); the code again is refused; five attempts lock the sign-in like wrong passwords', async () => {
      const { body, secret, step } = await withApp();
      const first = await api.login(body.email, body.password);
      expect(first).toMatchObject({ statusCode: 200, body: { data: { mfa_required: true, methods: ['totp'] } } });
      const code = totpCodeAt(secret, step + 1);
      const signedIn = await totp.signIn(first.body.data.mfa_token, { code });
      expect(signedIn.statusCode).toBe(200);
      expect(decodeJwt(signedIn.body.data.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_AAL2 });
      const again = (await api.login(body.email, body.password)).body.data;
      expect((await totp.signIn(again.mfa_token, { code })).statusCode).toBe(401);
      // Counted: the right password (a right password no longer clears the count of a factor holder),
      // the replay and three wrong codes make five attempts; the next waits.
      for (let i = 0; i < 3; i++) expect((await totp.signIn(again.mfa_token, { code: wrongCode(secret) })).statusCode).toBe(401);
      expect((await totp.signIn(again.mfa_token, { code: wrongCode(secret) })).statusCode).toBe(429);
      expect((await api.login(body.email, body.password)).statusCode).toBe(429);
    });

    it('a password reset does not bypass it: the next sign-in still asks for a code', async () => {
      const { body } = await withApp();
      await invoke(forgot, apiEvent({ email: body.email }, { path: API_PATHS.passwordForgot }));
      await sweepOutbox();
      const link = (await mailsTo(body.email)).filter((m) => m.subject === 'Reset your password').at(-1)!;
      const password = 'Reset-But-Still-2FA-9';
      expect((await invoke(reset, apiEvent({ token: tokenFrom(link), password, confirm_password: password }, { path: API_PATHS.passwordReset }))).statusCode).toBe(200);
      expect((await api.login(body.email, password)).body.data).toMatchObject({ mfa_required: true });
    });

    it('removing: needs the second factor (step-up 401 otherwise); a replayed or wrong code counts toward the session lock; a recovery code removes it and the other sessions end', async () => {
      const { body, session, secret, step, recoveryCodes } = await withApp();
      const refused = await totp.remove(session.access_token, { code: totpCodeAt(secret, step + 1) });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers?.['WWW-Authenticate']).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="[^"]+", max_age=600$/);
      const used = totpCodeAt(secret, step + 1);
      const a = (await totp.signIn((await api.login(body.email, body.password)).body.data.mfa_token, { code: used })).body.data;
      const b = (await totp.signIn((await api.login(body.email, body.password)).body.data.mfa_token, { recovery_code: recoveryCodes[0] })).body.data;
      expect((await totp.remove(a.access_token, { code: used })).statusCode).toBe(401); // a replay
      for (let i = 0; i < 4; i++) expect((await totp.remove(a.access_token, { code: wrongCode(secret) })).statusCode).toBe(401);
      expect((await totp.remove(a.access_token, { code: wrongCode(secret) })).statusCode).toBe(429);
      expect((await totp.remove(b.access_token, { recovery_code: recoveryCodes[1] })).statusCode).toBe(200);
      expect((await api.meAs(a.access_token)).statusCode).toBe(401);
      expect((await api.meAs(b.access_token)).statusCode).toBe(200);
      expect((await api.login(body.email, body.password)).body.data).toHaveProperty('access_token');
      await sweepOutbox();
      expect((await mailsTo(body.email)).map((m) => m.subject)).toEqual(expect.arrayContaining([
        'An authenticator app was added to your account', 'The authenticator app was removed from your account',
      ]));
    });
  });
}
