import { describe, expect, it } from 'vitest';
import { handler as mePhone } from '../../functions/me-phone/handler.js';
import { handler as mePhoneVerify } from '../../functions/me-phone-verify/handler.js';
import { PHONE_TAKEN } from '../../lib/errors.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { PHONE_MOVE_REQUESTED_ANSWER } from '../../lib/record/move-phone.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { codeFrom, mailsTo, textsTo } from '../support/local-aws.js';
import { codeSentTo, phoneApi } from '../support/phone-api.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { api, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';

const json = { 'Content-Type': 'application/json' };
const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });
const ask = (accessToken: string, phone_number: string, password: string) =>
  invoke(mePhone, apiEvent({ phone_number, password }, { path: API_PATHS.mePhone, headers: { ...json, ...bearer(accessToken) } }));
const verify = (accessToken: string, code: string) =>
  invoke(mePhoneVerify, apiEvent({ code }, { path: API_PATHS.mePhoneVerify, headers: { ...json, ...bearer(accessToken) } }));
const newPhone = () => uniqueRegistration().phone_number;
/** The code texted to a number, once the outbox has sent it. */
async function textedCode(phone: string): Promise<string> {
  await sweepOutbox();
  const text = (await textsTo(phone)).at(-1);
  if (!text) throw new Error('no code texted');
  return codeFrom(text);
}
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
/** A verified patient that also proved its number by SMS. */
async function provenPatient(overrides: Record<string, unknown> = {}) {
  const patient = await verifiedPatient(overrides);
  const verified = await phoneApi.verify(patient.session.access_token, { code: await codeSentTo(patient.session.access_token, patient.body.phone_number) });
  if (verified.statusCode !== 200) throw new Error(`phone/verify answered ${verified.statusCode}`);
  return patient;
}

/** POST /me/phone and POST /me/phone/verify (issue 20), through the real handlers, DynamoDB Local, the SMS inbox and the SES emulator. */
describe('moving the phone number', () => {
  it('a code to the new number; a wrong one counts; the right one swaps number and reservation, verifies it, moves the ETag, tells the address', async () => {
    const { body, patientId, session } = await verifiedPatient();
    const before = await api.meAs(session.access_token);
    const to = newPhone();
    expect(await ask(session.access_token, to, 'Not-The-Password-1!')).toMatchObject({ statusCode: 401, body: { message: 'The current password is not correct.' } });
    expect(await ask(session.access_token, to, body.password)).toMatchObject({ statusCode: 202, body: { success: true, message: PHONE_MOVE_REQUESTED_ANSWER } });
    const code = await textedCode(to);
    expect((await api.meAs(session.access_token)).body.data.phone_number).toBe(body.phone_number);

    const wrong = await verify(session.access_token, otherCode(code));
    expect(wrong).toMatchObject({ statusCode: 422, body: { success: false, errors: { code: [expect.stringContaining('4 tries left')] } } });
    expect(await verify(session.access_token, code)).toMatchObject({ statusCode: 200, body: { success: true } });
    const after = await api.meAs(session.access_token);
    expect(after.body.data).toMatchObject({ id: patientId, phone_number: to, phone_verified: true });
    expect(after.headers?.ETag).not.toBe(before.headers?.ETag);
    // The old number is free: a registration with it goes through.
    expect((await api.register(uniqueRegistration({ phone_number: body.phone_number }))).statusCode).toBe(201);
    await sweepOutbox();
    const told = (await mailsTo(body.email)).filter((m) => m.subject === 'Your phone number was changed');
    expect(told).toHaveLength(1);
    expect(told[0]!.body.text).not.toContain(to);
    expect((await verify(session.access_token, code)).statusCode).toBe(410);
    const events = (await auditTrailOf(patientId)).filter((e) => e.action === 'phone_move');
    expect(events.map((e) => [e.outcome, e.reason])).toEqual(expect.arrayContaining([['failure', 'wrong_code'], ['success', undefined]]));
  }, 90_000);

  it('a number another account proved: 422 on phone_number as at registration, no text; registered and proven meanwhile: 422 at the code, nothing moved', async () => {
    const owner = await provenPatient();
    const { body, session } = await verifiedPatient();
    expect(await ask(session.access_token, owner.body.phone_number, body.password)).toMatchObject({ statusCode: 422, body: { errors: { phone_number: [PHONE_TAKEN] } } });
    await sweepOutbox();
    expect(await textsTo(owner.body.phone_number)).toHaveLength(1); // its own verification code only

    const to = newPhone();
    expect((await ask(session.access_token, to, body.password)).statusCode).toBe(202);
    const code = await textedCode(to);
    await provenPatient({ phone_number: to });
    expect(await verify(session.access_token, code)).toMatchObject({ statusCode: 422, body: { errors: { phone_number: [PHONE_TAKEN] } } });
    expect((await api.meAs(session.access_token)).body.data.phone_number).toBe(body.phone_number);
  }, 120_000);

  it('possession wins (issue 19 item 4): a squatter\'s unproven number is moved to by its owner\'s existing account; the squatter loses it and is told', async () => {
    const victim = await verifiedPatient();
    const phone = newPhone();
    // The squatter registers the victim's number and verifies its own email, never the number.
    const squatter = await verifiedPatient({ phone_number: phone });
    expect((await api.register(uniqueRegistration({ phone_number: phone }))).statusCode).toBe(422);

    expect(await ask(victim.session.access_token, phone, victim.body.password)).toMatchObject({ statusCode: 202, body: { message: PHONE_MOVE_REQUESTED_ANSWER } });
    expect(await verify(victim.session.access_token, await textedCode(phone))).toMatchObject({ statusCode: 200, body: { success: true } });
    expect((await api.meAs(victim.session.access_token)).body.data).toMatchObject({ phone_number: phone, phone_verified: true });

    const me = await api.meAs(squatter.session.access_token);
    expect(me.body.data).toMatchObject({ phone_number: null, phone_verified: false, phone_number_released: true });
    // Its old number is not its own to prove any more.
    expect((await phoneApi.requestCode(squatter.session.access_token)).statusCode).toBe(409);
    await sweepOutbox();
    const notice = (await mailsTo(squatter.body.email)).find((m) => m.subject === 'The phone number on your account was removed');
    expect(notice).toBeDefined();
    expect(JSON.stringify(notice)).not.toContain(phone);
    expect(JSON.stringify(notice)).not.toContain(squatter.body.first_name);
    const trail = await auditTrailOf(squatter.patientId);
    expect(trail.find((e) => e.reason === 'phone_taken_over')).toMatchObject({ action: 'record_update', outcome: 'success', fields: ['phone_number'] });
    // The number is proven now: a registration with it is the spec's 422.
    expect((await api.register(uniqueRegistration({ phone_number: phone }))).statusCode).toBe(422);
  }, 120_000);

  it('bad input: 422 in the envelope; no token: 401', async () => {
    const { body, session } = await verifiedPatient();
    expect(await ask(session.access_token, '12345', body.password)).toMatchObject({ statusCode: 422, body: { success: false, errors: { phone_number: expect.any(Array) } } });
    expect((await ask(session.access_token, body.phone_number, body.password)).statusCode).toBe(422);
    expect((await verify(session.access_token, 'abc')).statusCode).toBe(422);
    expect((await ask('not-a-token', newPhone(), body.password)).statusCode).toBe(401);
  }, 60_000);
});
