import { describe, expect, it } from 'vitest';
import { handler as change } from '../../functions/password-change/handler.js';
import { FORGOT_ANSWER, handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { handler as resetPage } from '../../functions/password-reset-page/handler.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { bringLinkNearItsEnd, mailsTo, scanTable, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { api, verifiedPatient } from '../support/sign-in-api.js';

const runOutbox = () => outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
const askReset = (email: string) => invoke(forgot, apiEvent({ email }, { path: API_PATHS.passwordForgot }));
const setPassword = (token: string, password: string, confirm = password) =>
  invoke(reset, apiEvent({ token, password, confirm_password: confirm }, { path: API_PATHS.passwordReset }));
const changePassword = (accessToken: string, body: unknown) =>
  invoke(change, apiEvent(body, { path: API_PATHS.passwordChange, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` } }));
const resetTokenFor = async (email: string) => tokenFrom((await mailsTo(email)).filter((m) => m.subject === 'Reset your password').at(-1)!);

const NEW_PASSWORD = 'Brand-N3w-Secret!';

describe('POST /password/forgot', () => {
  it('answers a registered and an unknown address alike; only the registered one gets a mail', async () => {
    const { body } = await verifiedPatient();
    const nobody = uniqueRegistration().email as string;
    const [known, unknown] = [await askReset(body.email), await askReset(nobody)];
    expect(known).toMatchObject({ statusCode: 200, body: { success: true, message: FORGOT_ANSWER } });
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toEqual(known.body);
    await runOutbox();
    expect((await mailsTo(body.email)).filter((m) => m.subject === 'Reset your password')).toHaveLength(1);
    expect(await mailsTo(nobody)).toHaveLength(0);
    // Handled requests forget the address they asked about.
    const requests = (await scanTable()).filter((i) => i.kind === 'password_reset_request' && i.status === 'sent');
    expect(requests.every((i) => i.requested_address === undefined)).toBe(true);
  });

  // The number, not the constant: a limit of 300 must fail here.
  it('3 per hour per address, then 429 with Retry-After', async () => {
    const email = uniqueRegistration().email as string;
    for (let i = 0; i < 3; i++) expect((await askReset(email)).statusCode).toBe(200);
    const refused = await askReset(email);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['Retry-After'])).toBeGreaterThan(0);
  });
});

describe('POST /password/reset', () => {
  it('sets the password, ends every session, and the patient signs in with it; the old password is refused', async () => {
    const { body, patientId, session } = await verifiedPatient();
    await askReset(body.email);
    await runOutbox();
    const token = await resetTokenFor(body.email);
    const page = await invoke(resetPage, apiEvent(undefined, { method: 'GET', path: API_PATHS.passwordReset, query: { token } }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="confirm_password"');

    const mismatch = await setPassword(token, NEW_PASSWORD, `${NEW_PASSWORD}x`);
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body.errors.confirm_password).toEqual(['Passwords do not match']);

    expect(await setPassword(token, NEW_PASSWORD)).toMatchObject({ statusCode: 200, body: { success: true } });
    expect((await api.refresh(session.refresh_token)).statusCode).toBe(401);
    expect((await api.login(body.email, body.password)).statusCode).toBe(401);
    expect((await api.login(body.email, NEW_PASSWORD)).statusCode).toBe(200);
    expect((await auditTrailOf(patientId)).some((e) => e.action === 'password_reset' && e.outcome === 'success')).toBe(true);
  });

  it('inside a link\'s life a request sends that same link again; one about to expire is replaced, and then answers 410', async () => {
    const { body } = await verifiedPatient();
    await askReset(body.email);
    await runOutbox();
    const older = await resetTokenFor(body.email);
    await askReset(body.email);
    await runOutbox();
    expect(await resetTokenFor(body.email)).toBe(older);
    await bringLinkNearItsEnd(body.email, 'reset');
    await askReset(body.email);
    await runOutbox();
    const newer = await resetTokenFor(body.email);
    // Opened, the older link says so at once; the newer one shows the form, and reading it spends nothing.
    const open = async (token: string) => (await invoke(resetPage, apiEvent(undefined, { method: 'GET', path: API_PATHS.passwordReset, query: { token } }))).body as string;
    expect(await open(older)).toContain('This password reset link was replaced by a newer one.');
    expect(await open(newer)).toContain('name="confirm_password"');
    expect((await setPassword(older, NEW_PASSWORD)).statusCode).toBe(410);
    expect((await setPassword(newer, NEW_PASSWORD)).statusCode).toBe(200);
    expect(await open(newer)).toContain('This password reset link has already been used.');
  });
});

describe('POST /password/change', () => {
  it('keeps the caller\'s session, ends the others, and mails a notice', async () => {
    const { body, session } = await verifiedPatient();
    const other = (await api.login(body.email, body.password)).body.data;
    const changed = await changePassword(session.access_token, { current_password: body.password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(changed).toMatchObject({ statusCode: 200, body: { success: true } });
    expect((await api.refresh(other.refresh_token)).statusCode).toBe(401);
    expect((await api.refresh(session.refresh_token)).statusCode).toBe(200);
    expect((await api.login(body.email, NEW_PASSWORD)).statusCode).toBe(200);
    await runOutbox();
    expect((await mailsTo(body.email)).some((m) => m.subject === 'Your password was changed')).toBe(true);
  });

  it('a wrong current password is 401 and counts toward the session\'s lock, not the account\'s; no token is 401', async () => {
    const { body, session } = await verifiedPatient();
    const wrong = { current_password: 'Not-The-0ne!', password: NEW_PASSWORD, confirm_password: NEW_PASSWORD };
    expect((await changePassword(session.access_token, wrong)).statusCode).toBe(401);
    for (let i = 0; i < 4; i++) await changePassword(session.access_token, wrong);
    const right = { current_password: body.password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD };
    expect((await changePassword(session.access_token, right)).statusCode).toBe(429);
    expect((await api.login(body.email, body.password)).statusCode).toBe(200);
    expect((await invoke(change, apiEvent(wrong, { path: API_PATHS.passwordChange }))).statusCode).toBe(401);
    // Without a token the body is never judged: an empty one is 401 too, not 422.
    expect((await invoke(change, apiEvent({}, { path: API_PATHS.passwordChange }))).statusCode).toBe(401);
  });
});
