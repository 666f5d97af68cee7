import { describe, expect, it } from 'vitest';
import { handler as register } from '../../functions/register/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as verifyPage } from '../../functions/verify-email-page/handler.js';
import { loadConfig } from '../../lib/config.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createVerifyEmailDeps } from '../../lib/wiring.js';
import { GoneTokenError } from '../../lib/errors.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { getItem, mailsTo, tokenFrom } from '../support/local-aws.js';

const PATH = '/api/v1/patient/verify-email';
const postToken = (token: unknown) => invoke(verify, apiEvent({ token }, { path: PATH }));

async function registered() {
  const body = uniqueRegistration();
  const { body: res } = await invoke(register, apiEvent(body));
  const [mail] = await mailsTo(body.email);
  return { patientId: res.data.patient_id as string, token: tokenFrom(mail!) };
}

describe('the verification link', () => {
  it('opens a page that does not verify by itself (mail scanners prefetch links)', async () => {
    const { patientId, token } = await registered();
    const page = await invoke(verifyPage, apiEvent(undefined, { method: 'GET', path: PATH, headers: {}, query: { token } }));
    expect(page.statusCode).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Content-Security-Policy']).toMatch(/script-src 'sha256-/);
    expect(page.body).toContain('Confirm my email');
    expect(page.body).not.toContain(token); // the script reads it from the address bar
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(false);
  });

  it('verifies the email when the token is posted, once', async () => {
    const { patientId, token } = await registered();
    const response = await postToken(token);
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ success: true, message: 'Email verified successfully.' });
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

  it('refuses an expired token with 410 and leaves the email unverified', async () => {
    const { patientId, token } = await registered();
    const deps = createVerifyEmailDeps(loadConfig());
    const in25Hours = { now: () => new Date(Date.now() + 25 * 3600_000) };
    await expect(verifyEmail(token, { ...deps, clock: in25Hours })).rejects.toThrow(GoneTokenError);
    await expect(verifyEmail(token, { ...deps, clock: in25Hours })).rejects.toThrow('expired');
    expect((await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.email_verified).toBe(false);
  });

  it('still accepts the token just before 24 hours have passed', async () => {
    const { token } = await registered();
    const deps = createVerifyEmailDeps(loadConfig());
    const in23h59 = { now: () => new Date(Date.now() + 24 * 3600_000 - 60_000) };
    await expect(verifyEmail(token, { ...deps, clock: in23h59 })).resolves.toMatchObject({ patientId: expect.any(String) });
  });
});
