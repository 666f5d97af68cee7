import { describe, expect, it } from 'vitest';
import { FORGOT_ANSWER, handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { SignInRefusedError } from '../../lib/errors.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { ACCOUNT_CLOSED_ANSWER } from '../../lib/record/close-account.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { mailsTo, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/requests.js';
import { api, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';

const NEW_PASSWORD = 'Reopened-Secret-42!';
const askReset = (email: string) => invoke(forgot, apiEvent({ email }, { path: API_PATHS.passwordForgot }));
const setPassword = (token: string, password: string) =>
  invoke(reset, apiEvent({ token, password, confirm_password: password }, { path: API_PATHS.passwordReset }));

/** POST /me/close (issue 20) through the real handlers, DynamoDB Local and the SES emulator. */
describe('POST /me/close', () => {
  it('closes: every access and refresh token dies at once; sign-in is refused with how to reopen; forgot → reset reopens; sign-in works', async () => {
    const { body, patientId, session } = await verifiedPatient({ medical_history: ['Asthma'] });
    const other = (await api.login(body.email, body.password)).body.data;

    const closed = await api.meClose(session.access_token, body.password);
    expect(closed).toMatchObject({ statusCode: 200, body: { success: true, message: ACCOUNT_CLOSED_ANSWER } });

    for (const tokens of [session, other]) {
      expect((await api.meAs(tokens.access_token)).statusCode).toBe(401);
      expect((await api.refresh(tokens.refresh_token)).statusCode).toBe(401);
    }
    const refused = await api.login(body.email, body.password);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toEqual({ success: false, message: new SignInRefusedError('inactive').message });
    expect(refused.body.message).toMatch(/Forgot password/);

    await sweepOutbox();
    const confirmation = (await mailsTo(body.email)).filter((m) => m.subject === 'Your account was closed');
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]!.body.text).not.toContain(body.first_name);

    expect(await askReset(body.email)).toMatchObject({ statusCode: 200, body: { message: FORGOT_ANSWER } });
    await sweepOutbox();
    const link = tokenFrom((await mailsTo(body.email)).filter((m) => m.subject === 'Reset your password').at(-1)!);
    expect((await setPassword(link, NEW_PASSWORD)).statusCode).toBe(200);

    const back = await api.login(body.email, NEW_PASSWORD);
    expect(back.statusCode).toBe(200);
    const record = await api.meAs(back.body.data.access_token);
    expect(record.body.data).toMatchObject({ id: patientId, is_active: true, medical_history: ['Asthma'] });

    const events = (await auditTrailOf(patientId)).filter((e) => e.action === 'account_close');
    expect(events).toMatchObject([{ outcome: 'success', sessionId: expect.any(String) }]);
  }, 60_000);

  it('a wrong password: 401 in the envelope, the account stays open; no password in the body; missing password 422', async () => {
    const { body, session } = await verifiedPatient();
    const wrong = await api.meClose(session.access_token, 'Not-The-Password-1!');
    expect(wrong).toMatchObject({ statusCode: 401, body: { success: false, message: 'The current password is not correct.' } });
    expect(JSON.stringify(wrong.body)).not.toContain('Not-The-Password-1!');
    expect((await api.meAs(session.access_token)).statusCode).toBe(200);
    const missing = await api.meClose(session.access_token, '');
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toMatchObject({ success: false, errors: { password: expect.any(Array) } });
    expect((await api.login(body.email, body.password)).statusCode).toBe(200);
  }, 60_000);

  it('without a token: 401', async () => {
    expect((await api.meClose('not-a-token', 'whatever')).statusCode).toBe(401);
  });
});
