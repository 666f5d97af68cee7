import { describe, expect, it } from 'vitest';
import { handler as register } from '../../functions/register/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as verifyPage } from '../../functions/verify-email-page/handler.js';
import { loadConfig } from '../../lib/config.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { hashVerificationToken } from '../../lib/patient/verification-token.js';
import { createVerifyEmailDeps } from '../../lib/wiring.js';
import { GoneTokenError } from '../../lib/errors.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { awaitMails, getItem, tokenFrom } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

const PATH = '/api/v1/patient/verify-email';
const PASSWORD = uniqueRegistration().password;
const postToken = (token: unknown, password: unknown = PASSWORD) => invoke(verify, apiEvent({ token, password }, { path: PATH }));
const FORM_HEADERS = { 'Content-Type': 'application/x-www-form-urlencoded' };
const postForm = (token: string, password: string) =>
  invoke(verify, apiEvent(new URLSearchParams({ password }).toString(), { path: PATH, headers: FORM_HEADERS, query: { token } }));

async function registered() {
  const body = uniqueRegistration();
  const { body: res } = await invoke(register, apiEvent(body));
  const [mail] = await awaitMails(body.email);
  return { patientId: res.data.patient_id as string, token: tokenFrom(mail!) };
}

describe('the verification link', () => {
  it('opens a page that does not verify by itself (mail scanners prefetch links)', async () => {
    const { patientId, token } = await registered();
    const page = await invoke(verifyPage, apiEvent(undefined, { method: 'GET', path: PATH, headers: {}, query: { token } }));
    expect(page.statusCode).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Content-Security-Policy']).toMatch(/script-src 'sha256-/);
    // The token in the address bar never reaches another site in a Referer.
    expect(page.headers['Referrer-Policy']).toBe('no-referrer');
    expect(page.body).toContain('Confirm my email');
    expect(page.body).toContain('Riverside Clinic');
    expect(page.body).toMatch(/<form id="verify" method="post" data-busy="Verifying…">/);
    expect(page.body).toMatch(/<input id="password" name="password" type="password"/);
    expect(page.body).not.toContain(token); // the script reads it from the address bar
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(false);
  });

  it('opened, it reads the link\'s state without spending it: the form twice, then after the use "already used"', async () => {
    const { patientId, token } = await registered();
    const open = () => invoke(verifyPage, apiEvent(undefined, { method: 'GET', path: PATH, headers: {}, query: { token } }));
    for (const _ of [1, 2]) expect((await open()).body).toMatch(/<form id="verify" method="post"/);
    expect(await getItem(`VERIFY#${hashVerificationToken(token)}`, 'TOKEN')).not.toHaveProperty('used_at');
    expect((await postToken(token)).statusCode).toBe(200);
    const used = await open();
    expect(used.statusCode).toBe(200);
    expect(used.body).toContain('This verification link has already been used. Your email address is verified.');
    expect(used.body).not.toContain('<form');
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(true);
  });

  it('verifies the email when the token is posted with the password, once, and signs the patient in', async () => {
    const { patientId, token } = await registered();
    const response = await postToken(token);
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({
      success: true,
      message: 'Email verified successfully.',
      data: { patient_id: patientId, access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    });
    const patient = await getItem(`PATIENT#${patientId}`, 'PROFILE');
    expect(patient).toMatchObject({ email_verified: true, phone_verified: false });
    expect(patient!.updated_at > patient!.created_at).toBe(true);

    const again = await postToken(token);
    expect(again.statusCode).toBe(410);
    expect(again.body).toEqual({ success: false, message: 'This verification link has already been used. Your email address is verified.' });
  });

  it('two simultaneous clicks verify once and tell the other the link is used', async () => {
    const { token } = await registered();
    const statuses = (await Promise.all([postToken(token), postToken(token), postToken(token)])).map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 410, 410]);
  });

  it('with the wrong password verifies nothing, answers 401 and leaves the link usable', async () => {
    const { patientId, token } = await registered();
    const wrong = await postToken(token, 'Someone-elses-password-1');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toEqual({ success: false, message: 'The password is not correct. Enter the password you registered with.' });
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(false);
    expect((await postToken(token)).statusCode).toBe(200);
  });

  it('works as a plain form post without JavaScript: the answer is the page with the result', async () => {
    const { patientId, token } = await registered();
    const wrong = await postForm(token, 'Someone-elses-password-1');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(wrong.body).toContain('The password is not correct.');
    expect(wrong.body).toContain('<form id="verify"');
    const right = await postForm(token, PASSWORD);
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('Your email address is verified. You can now sign in.');
    expect(right.body).not.toContain('<form id="verify"');
    expect(right.body).not.toContain(token);
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(true);
    const again = await postForm(token, PASSWORD);
    expect(again.statusCode).toBe(410);
  });

  it('refuses an unknown token with 400', async () => {
    const response = await postToken('A'.repeat(43));
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({ success: false, message: 'This verification link is invalid. Request a new verification email.' });
  });

  it.each([[''], ['not a token!'], [42], [null]])('refuses a malformed token %j with 422', async (token) => {
    const response = await postToken(token);
    expect(response.statusCode).toBe(422);
    expect(Object.keys(response.body.errors)).toEqual(['token']);
  });

  it('refuses a missing password with 422', async () => {
    const { token } = await registered();
    const response = await invoke(verify, apiEvent({ token }, { path: PATH }));
    expect(response.statusCode).toBe(422);
    expect(Object.keys(response.body.errors)).toEqual(['password']);
  });

  it('refuses an expired token with 410 and leaves the email unverified', async () => {
    const { patientId, token } = await registered();
    const deps = createVerifyEmailDeps(loadConfig());
    const in25Hours = { now: () => new Date(Date.now() + 25 * 3600_000) };
    await expect(verifyEmail({ token, password: PASSWORD }, {}, { ...deps, clock: in25Hours })).rejects.toThrow(GoneTokenError);
    await expect(verifyEmail({ token, password: PASSWORD }, {}, { ...deps, clock: in25Hours })).rejects.toThrow('expired');
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(false);
  });

  it('still accepts the token just before 24 hours have passed', async () => {
    const { token } = await registered();
    const deps = createVerifyEmailDeps(loadConfig());
    const in23h59 = { now: () => new Date(Date.now() + 24 * 3600_000 - 60_000) };
    await expect(verifyEmail({ token, password: PASSWORD }, {}, { ...deps, clock: in23h59 })).resolves.toMatchObject({ patient_id: expect.any(String) });
  });
});
