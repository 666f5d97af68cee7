import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as meEmail } from '../../functions/me-email/handler.js';
import { handler as meEmailConfirm } from '../../functions/me-email-confirm/handler.js';
import { handler as meEmailConfirmPage } from '../../functions/me-email-confirm-page/handler.js';
import { handler as passwordForgot } from '../../functions/password-forgot/handler.js';
import { handler as passwordReset } from '../../functions/password-reset/handler.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { EMAIL_MOVE_REQUESTED_ANSWER } from '../../lib/record/move-email.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { mailsTo, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/requests.js';
import { api, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';

const json = { 'Content-Type': 'application/json' };
const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });
const ask = (accessToken: string, email: string, password: string) =>
  invoke(meEmail, apiEvent({ email, password }, { path: API_PATHS.meEmail, headers: { ...json, ...bearer(accessToken) } }));
const confirm = (accessToken: string, token: string) =>
  invoke(meEmailConfirm, apiEvent({ token }, { path: API_PATHS.meEmailConfirm, headers: { ...json, ...bearer(accessToken) } }));
const openPage = (token: string) => invoke(meEmailConfirmPage, apiEvent(undefined, { method: 'GET', path: API_PATHS.meEmailConfirm, query: { token }, headers: {} }));
const postPage = (token: string, password: string) =>
  invoke(meEmailConfirm, apiEvent(`password=${encodeURIComponent(password)}`, { path: API_PATHS.meEmailConfirm, query: { token }, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));
const newAddress = () => `moved.${randomBytes(5).toString('hex')}@example.org`;
const subjects = async (address: string) => (await mailsTo(address)).map((m) => m.subject);
/** The move link sent to an address, once the outbox has sent it. */
async function moveLink(address: string): Promise<string> {
  await sweepOutbox();
  const mail = (await mailsTo(address)).filter((m) => m.subject === 'Confirm your new email address').at(-1);
  if (!mail) throw new Error(`no move link for ${address}`);
  return tokenFrom(mail);
}

/** POST /me/email, its link's page and POST /me/email/confirm (issue 20), through the real handlers, DynamoDB Local and the SES emulator. */
describe('moving the email address', () => {
  it('Bearer: a link to the new address, a notice to the old; the move ends other sessions, keeps the asking one, moves sign-in and the ETag, tells the old address', async () => {
    const { body, patientId, session } = await verifiedPatient();
    const other = (await api.login(body.email, body.password)).body.data;
    const before = await api.meAs(session.access_token);
    const to = newAddress();

    const wrong = await ask(session.access_token, to, 'Not-The-Password-1!');
    expect(wrong).toMatchObject({ statusCode: 401, body: { success: false, message: 'The current password is not correct.' } });
    expect(await ask(session.access_token, to.toUpperCase(), body.password)).toMatchObject({ statusCode: 202, body: { success: true, message: EMAIL_MOVE_REQUESTED_ANSWER } });
    const token = await moveLink(to);
    expect(await subjects(body.email)).toContain('A change of your email address was asked for');
    // Nothing moved yet.
    expect((await api.meAs(session.access_token)).body.data.email).toBe(body.email);

    const page = await openPage(token);
    expect(page.statusCode).toBe(200);
    expect(String(page.body)).toContain('name="password"');

    const moved = await confirm(session.access_token, token);
    expect(moved).toMatchObject({ statusCode: 200, body: { success: true, data: { email: to } } });
    const after = await api.meAs(session.access_token);
    expect(after.body.data).toMatchObject({ id: patientId, email: to, email_verified: true });
    expect(after.headers?.ETag).not.toBe(before.headers?.ETag);
    expect((await api.meAs(other.access_token)).statusCode).toBe(401);
    expect((await api.refresh(other.refresh_token)).statusCode).toBe(401);
    expect((await api.login(to, body.password)).statusCode).toBe(200);
    expect((await api.login(body.email, body.password)).statusCode).toBe(401);
    await sweepOutbox();
    const told = (await mailsTo(body.email)).filter((m) => m.subject === 'Your email address was changed');
    expect(told).toHaveLength(1);
    expect(told[0]!.body.text).not.toContain(to);

    expect(await confirm(session.access_token, token)).toMatchObject({ statusCode: 410, body: { success: false } });
    expect(String((await openPage(token)).body)).toContain('already been used');
    const events = (await auditTrailOf(patientId)).filter((e) => e.action === 'email_move' || e.action === 'email_move_request');
    expect(events.map((e) => [e.action, e.outcome])).toEqual(expect.arrayContaining([['email_move_request', 'failure'], ['email_move_request', 'success'], ['email_move', 'success']]));
  }, 90_000);

  it('an address that has an account: the same 202, only a "someone tried" mail to it (no link), nothing to the asker', async () => {
    const owner = await verifiedPatient();
    const { body, session } = await verifiedPatient();
    const before = await subjects(body.email);
    expect(await ask(session.access_token, owner.body.email, body.password)).toMatchObject({ statusCode: 202, body: { message: EMAIL_MOVE_REQUESTED_ANSWER } });
    await sweepOutbox();
    const tried = (await mailsTo(owner.body.email)).filter((m) => m.subject === 'Someone tried to use your email address');
    expect(tried).toHaveLength(1);
    expect(tried[0]!.body.text).not.toMatch(/token=/);
    expect(await subjects(owner.body.email)).not.toContain('Confirm your new email address');
    expect(await subjects(body.email)).toEqual(before);
  }, 90_000);

  it('the page: a wrong password is 401 and moves nothing; the account\'s password moves it; a link of another account is refused over Bearer', async () => {
    const { body, session } = await verifiedPatient();
    const stranger = await verifiedPatient();
    const to = newAddress();
    expect((await ask(session.access_token, to, body.password)).statusCode).toBe(202);
    const token = await moveLink(to);
    expect((await confirm(stranger.session.access_token, token)).statusCode).toBe(400);
    const wrong = await postPage(token, 'Not-The-Password-1!');
    expect(wrong.statusCode).toBe(401);
    expect(String(wrong.body)).not.toContain('Not-The-Password-1!');
    expect((await api.meAs(session.access_token)).body.data.email).toBe(body.email);
    const done = await postPage(token, body.password);
    expect(done.statusCode).toBe(200);
    expect(String(done.body)).toContain('Email address changed');
    expect((await api.login(to, body.password)).statusCode).toBe(200);
  }, 90_000);

  it('the notice\'s advice works: after "Forgot password" and a reset, the pending link is 410 on both ways and on its page; the email stays', async () => {
    const { body, session } = await verifiedPatient();
    const to = newAddress();
    expect(await ask(session.access_token, to, body.password)).toMatchObject({ statusCode: 202 });
    const token = await moveLink(to);

    expect(await invoke(passwordForgot, apiEvent({ email: body.email }, { path: API_PATHS.passwordForgot }))).toMatchObject({ statusCode: 200 });
    await sweepOutbox();
    const resetToken = tokenFrom((await mailsTo(body.email)).filter((m) => m.subject === 'Reset your password').at(-1)!);
    const newPassword = 'Brand-N3w-Secret!';
    const reset = await invoke(passwordReset, apiEvent({ token: resetToken, password: newPassword, confirm_password: newPassword }, { path: API_PATHS.passwordReset }));
    expect(reset.statusCode).toBe(200);

    const later = (await api.login(body.email, newPassword)).body.data;
    expect(await confirm(later.access_token, token)).toMatchObject({ statusCode: 410, body: { success: false } });
    expect(await postPage(token, newPassword)).toMatchObject({ statusCode: 410 });
    expect(String((await openPage(token)).body)).toContain('replaced by a newer one or cancelled');
    expect((await api.meAs(later.access_token)).body.data.email).toBe(body.email);
    await sweepOutbox();
    expect(await subjects(body.email)).not.toContain('Your email address was changed');
  }, 90_000);

  it('bad input: 422 in the envelope, nothing mailed; no token: 401', async () => {
    const { body, session } = await verifiedPatient();
    const bad = await ask(session.access_token, 'not-an-address', body.password);
    expect(bad).toMatchObject({ statusCode: 422, body: { success: false, errors: { email: expect.any(Array) } } });
    expect((await ask(session.access_token, body.email, body.password)).statusCode).toBe(422);
    expect((await ask('not-a-token', newAddress(), body.password)).statusCode).toBe(401);
    expect((await confirm(session.access_token, 'x'.repeat(200))).statusCode).toBe(422);
  }, 60_000);
});
