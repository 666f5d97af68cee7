import { describe, expect, it } from 'vitest';
import { FORGOT_ANSWER, handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as login } from '../../functions/login/handler.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { handler as register } from '../../functions/register/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { handler as resetPage } from '../../functions/password-reset-page/handler.js';
import { mailsTo, tokenFrom, type StoredMail } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

const FORGOT = '/api/v1/patient/password/forgot';
const RESET = '/api/v1/patient/password/reset';
const runOutbox = () => outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
const askReset = (email: string) => invoke(forgot, apiEvent({ email }, { path: FORGOT }));
const signIn = (email: string, password: string) => invoke(login, apiEvent({ email, password }, { path: '/api/v1/patient/login' }));
const isResetMail = (m: StoredMail) => m.subject === "Reset your password";

describe('squatting, closed end to end (the reset part)', () => {
  it("the victim takes the squatted address back by reset; the squatter's password never works", async () => {
    // The squatter registers the victim's email and phone with their own password.
    const squatter = uniqueRegistration();
    expect((await invoke(register, apiEvent(squatter))).statusCode).toBe(201);
    const victimEmail = squatter.email as string;
    expect([401, 403]).toContain((await signIn(victimEmail, squatter.password)).statusCode);

    // The victim asks for a reset: the same answer as for an unknown address.
    const answer = await askReset(victimEmail);
    const unknown = await askReset(uniqueRegistration().email);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual({ success: true, message: FORGOT_ANSWER });
    expect(unknown.body).toEqual(answer.body);
    await runOutbox();
    const resetMail = (await mailsTo(victimEmail)).find(isResetMail)!;
    expect(resetMail).toBeDefined();
    const token = tokenFrom(resetMail);

    // Opening the link changes nothing; the form works without JavaScript.
    const page = await invoke(resetPage, apiEvent(undefined, { method: 'GET', path: RESET, query: { token } }));
    expect(page.statusCode).toBe(200);
    const victimPassword = 'Victim-Owns-1t!';
    const weak = await invoke(reset, apiEvent(`password=short&confirm_password=short`, { path: RESET, query: { token }, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));
    expect(weak.statusCode).toBe(422);
    // Without a script the page itself says why: the registration's messages.
    expect(weak.body).toContain('Password must contain at least 8 characters');
    const posted = await invoke(reset, apiEvent(
      `password=${encodeURIComponent(victimPassword)}&confirm_password=${encodeURIComponent(victimPassword)}`,
      { path: RESET, query: { token }, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
    ));
    expect(posted.statusCode).toBe(200);
    expect(String(posted.body)).toContain('Your password has been changed');

    // The link is single use (JSON this time): 410.
    const again = await invoke(reset, apiEvent({ token, password: victimPassword, confirm_password: victimPassword }, { path: RESET }));
    expect(again.statusCode).toBe(410);

    // The victim signs in; the squatter's password does not work, now or later.
    expect((await signIn(victimEmail, victimPassword)).statusCode).toBe(200);
    expect((await signIn(victimEmail, squatter.password)).statusCode).toBe(401);

    // The "password changed" notice arrives, and holds no link.
    await runOutbox();
    const notice = (await mailsTo(victimEmail)).find((m) => /was just changed/.test(m.body.text));
    expect(notice).toBeDefined();
    expect(notice!.body.text).not.toMatch(/https?:/);
  });

  it('an unknown reset token: 400', async () => {
    const response = await invoke(reset, apiEvent({ token: 'A'.repeat(43), password: 'Victim-Owns-1t!', confirm_password: 'Victim-Owns-1t!' }, { path: RESET }));
    expect(response.statusCode).toBe(400);
  });
});
