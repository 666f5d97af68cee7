import { describe, expect, it } from 'vitest';
import { FORGOT_ANSWER, handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as login } from '../../functions/login/handler.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { handler as register } from '../../functions/register/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { handler as resetPage } from '../../functions/password-reset-page/handler.js';
import { handler as phoneVerification } from '../../functions/phone-verification/handler.js';
import { handler as me } from '../../functions/me/handler.js';
import { handler as meUpdate } from '../../functions/me-update/handler.js';
import { mailsTo, tokenFrom, type StoredMail } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

const FORGOT = '/api/v1/patient/password/forgot';
const RESET = '/api/v1/patient/password/reset';
const runOutbox = () => outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
const askReset = (email: string) => invoke(forgot, apiEvent({ email }, { path: FORGOT }));
const signIn = (email: string, password: string) => invoke(login, apiEvent({ email, password }, { path: '/api/v1/patient/login' }));
const isResetMail = (m: StoredMail) => m.subject === "Reset your password";

describe('squatting, closed end to end (the reset part)', () => {
  it("squatting, closed end to end: the victim takes the address back by reset and signs in; the squatter's data and number are gone, the review clears with a full PATCH; the squatter's password never works", async () => {
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
    const session = await signIn(victimEmail, victimPassword);
    expect(session.statusCode).toBe(200);
    expect((await signIn(victimEmail, squatter.password)).statusCode).toBe(401);

    // Taken back (issue 20): what the squatter typed is gone, the unproven number released, a review asked for.
    const bearer = { 'Content-Type': 'application/json', Authorization: `Bearer ${session.body.data.access_token}` };
    const record = await invoke(me, apiEvent(undefined, { method: 'GET', path: '/api/v1/patient/me', headers: bearer }));
    expect(record.body.data).toMatchObject({
      email_verified: true, phone_number: null, phone_verified: false, phone_number_released: true, profile_review_required: true,
      first_name: squatter.first_name,
    });
    for (const field of ['medical_history', 'insurance_info', 'emergency_contact']) expect(record.body.data).not.toHaveProperty(field);
    // The released number is not this account's to verify; it is free for its owner.
    expect((await invoke(phoneVerification, apiEvent(undefined, { path: '/api/v1/patient/phone/verification', headers: bearer }))).statusCode).toBe(409);
    expect((await invoke(register, apiEvent(uniqueRegistration({ phone_number: squatter.phone_number })))).statusCode).toBe(201);

    // The review: a PATCH of only the name leaves it asked for; one naming all five clears it.
    const patchMe = async (body: Record<string, unknown>, etag: string) =>
      invoke(meUpdate, apiEvent(body, { method: 'PATCH', path: '/api/v1/patient/me', headers: { ...bearer, 'If-Match': etag } }));
    const partly = await patchMe({ first_name: 'Victoria' }, record.headers!.ETag as string);
    expect(partly.statusCode).toBe(200);
    expect(partly.body.data).toMatchObject({ first_name: 'Victoria', profile_review_required: true });
    const { last_name, date_of_birth, gender, address } = partly.body.data;
    const confirmed = await patchMe({ first_name: 'Victoria', last_name, date_of_birth, gender, address }, partly.headers!.ETag as string);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body.data).not.toHaveProperty('profile_review_required');
    expect((await signIn(victimEmail, squatter.password)).statusCode).toBe(401);

    // The "password changed" notice arrives, and holds no link.
    await runOutbox();
    const notice = (await mailsTo(victimEmail)).find((m) => m.subject === 'Your password was changed');
    expect(notice).toBeDefined();
    expect(notice!.body.text).not.toMatch(/https?:/);
    // After a reset every session ended, the squatter's too (issue 22 item 8).
    expect(notice!.body.text).toContain('every device signed in to your account was signed out');
  });

  it('an unknown reset token: 400', async () => {
    const response = await invoke(reset, apiEvent({ token: 'A'.repeat(43), password: 'Victim-Owns-1t!', confirm_password: 'Victim-Owns-1t!' }, { path: RESET }));
    expect(response.statusCode).toBe(400);
  });
});
