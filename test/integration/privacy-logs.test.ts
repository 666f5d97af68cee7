import { describe, expect, it } from 'vitest';
import { handler as register } from '../../functions/register/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as resend } from '../../functions/resend-verification/handler.js';
import { createSesMailer } from '../../lib/adapters/ses/ses-mailer.js';
import { createSesClient } from '../../lib/adapters/aws-clients.js';
import { loadConfig } from '../../lib/config.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import { createMailerDeps, createRegisterDeps } from '../../lib/wiring.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { bringLinkNearItsEnd, getItem, mailsTo, scanTable, tokenFrom } from '../support/local-aws.js';
import { CANARY, canaryOverrides, captureOutput } from '../support/capture-output.js';
import { api } from '../support/sign-in-api.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';

const output = captureOutput();
/** Only the mail carries the first name; its failure path must not log it. */
const CANARY_FIRST_NAME = 'Canaryfirstname';

function canaryRegistration() {
  return uniqueRegistration(canaryOverrides());
}

describe('patient data privacy', () => {
  it('stores no plaintext medical or insurance data, and it decrypts back for the right patient only', async () => {
    const body = canaryRegistration();
    const { statusCode, body: res } = await invoke(register, apiEvent(body));
    expect(statusCode).toBe(201);
    const raw = JSON.stringify(await scanTable());
    for (const secret of [CANARY.medical, CANARY.provider, CANARY.policy, CANARY.password]) expect(raw).not.toContain(secret);

    const item = (await getItem(`PATIENT#${res.data.patient_id}`, 'PROFILE'))!;
    expect(typeof item.medical_history).toBe('string');
    expect(typeof item.insurance_info).toBe('string');
    const { cipher } = createRegisterDeps(loadConfig());
    const encrypted = { keyId: item.phi_key.key_id, wrappedKey: item.phi_key.wrapped_key, ciphertexts: { medical_history: item.medical_history, insurance_info: item.insurance_info } };
    expect(await cipher.decryptFields(res.data.patient_id, encrypted)).toEqual({
      medical_history: [CANARY.medical],
      insurance_info: { provider: CANARY.provider, policy_number: CANARY.policy },
    });
    await expect(cipher.decryptFields('00000000-0000-4000-8000-000000000000', encrypted)).rejects.toThrow();
  });

  it('the verification mail carries the link and no patient data, not even the first name', async () => {
    const body = canaryRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never); // the outbox mailer sends it
    const [mail] = await mailsTo(body.email);
    const text = JSON.stringify(mail);
    expect(text).toContain('Hello,');
    for (const secret of ['Jane', CANARY.lastName, CANARY.medical, CANARY.policy, body.phone_number, body.date_of_birth, '456 Main Street']) {
      expect(text).not.toContain(secret);
    }
  });

  it('no canary value reaches the logs on any path', async () => {
    output.reset();
    const body = canaryRegistration();
    await invoke(register, apiEvent(body)); // success
    await invoke(register, apiEvent(body)); // duplicate
    await invoke(register, apiEvent({ ...body, email: 'bad', date_of_birth: '2999-01-01' })); // validation
    await invoke(register, apiEvent(`{"password": "${CANARY.password}",`)); // malformed JSON
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never); // the outbox mailer sends the verification mail
    const token = tokenFrom((await mailsTo(body.email))[0]!);
    const VERIFY = { path: '/api/v1/patient/verify-email' };
    const RESEND = { path: '/api/v1/patient/resend-verification' };
    await bringLinkNearItsEnd(body.email, 'verification'); // a live link would be sent again, not replaced
    await invoke(resend, apiEvent({ email: body.email }, RESEND)); // resend: new token, old one superseded
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never); // the outbox acts on it
    await invoke(verify, apiEvent({ token, password: body.password }, VERIFY)); // superseded
    const newToken = tokenFrom((await mailsTo(body.email)).at(-1)!);
    await invoke(verify, apiEvent({ token: newToken, password: `${body.password}-wrong` }, VERIFY)); // wrong password
    const verified = await invoke(verify, apiEvent({ token: newToken, password: body.password }, VERIFY)); // verified, signed in
    expect(verified.statusCode).toBe(200);
    await invoke(verify, apiEvent({ token: newToken, password: body.password }, VERIFY)); // used
    await invoke(verify, apiEvent({ token: 'A'.repeat(43), password: body.password }, VERIFY)); // unknown
    // Sign-in: the tokens, the password and the decrypted record must not reach the logs either.
    await api.login(body.email, `${body.password}-wrong`); // wrong password
    await api.login(`nobody-${body.email}`, body.password); // unknown email
    const session = (await api.login(body.email, body.password)).body.data; // success
    await api.meAs(session.access_token); // decrypts medical history and insurance
    await api.meAs(`${session.access_token}x`); // tampered
    const rotated = (await api.refresh(session.refresh_token)).body.data;
    await api.refresh(session.refresh_token); // a retry within the reuse interval: the same successor
    const newest = (await api.refresh(rotated.refresh_token)).body.data;
    await api.refresh(session.refresh_token); // reuse: the successor was used
    await api.logout(verified.body.data.access_token, verified.body.data.refresh_token);
    const closing = (await api.login(body.email, body.password)).body.data;
    await api.meClose(closing.access_token, `${body.password}-wrong`); // closing: a wrong password
    expect((await api.meClose(closing.access_token, body.password)).statusCode).toBe(200); // closed: every session ends
    await api.login(body.email, body.password); // closed: 403 with how to reopen
    const secrets = [session.access_token, session.refresh_token, rotated.refresh_token, newest.refresh_token, closing.access_token, closing.refresh_token, verified.body.data.refresh_token];
    for (let i = 0; i < 3; i++) await invoke(resend, apiEvent({ email: body.email }, RESEND)); // verified: nothing sent, then 429

    const keyed = canaryRegistration();
    const withKey = (b: unknown) => apiEvent(b, { headers: { 'content-type': 'application/json', 'idempotency-key': `canary-${keyed.phone_number.slice(1)}` } });
    await invoke(register, withKey(keyed)); // idempotent success
    await invoke(register, withKey(keyed)); // replay
    await invoke(register, withKey({ ...keyed, first_name: 'Other' })); // key reused with another body
    await invoke(register, apiEvent(JSON.stringify({ ...canaryRegistration(), [keyed.email]: CANARY.medical }))); // client-made field name
    await invoke(register, apiEvent('x'.repeat(70_000))); // too large
    await invoke(register, apiEvent(body, { headers: { 'content-type': 'text/plain' } })); // wrong type

    // SES unreachable: the outbox mailer's failed send logs the mail's ids, never its to, firstName or verifyUrl.
    const unsent = uniqueRegistration({ ...canaryOverrides(), first_name: CANARY_FIRST_NAME });
    expect((await invoke(register, apiEvent(unsent))).statusCode).toBe(201);
    const unreachable = createSesMailer(createSesClient({ ...loadConfig(), sesEndpoint: 'http://127.0.0.1:9' }), 'no-reply@clinic.test');
    const swept = await deliverDueMails({ ...createMailerDeps(loadConfig(process.env, ["mail"])), mailer: unreachable });
    expect(swept.failed).toBeGreaterThan(0);

    const text = output.text();
    expect(text).toContain('patient registered'); // the capture works
    expect(text).toContain('request refused');
    expect(text).toContain('idempotent replay');
    expect(text).toContain('"statusCode":429');
    expect(text).toContain('"statusCode":410');
    expect(text).toContain('mail send failed');
    expect(text).toContain('account close');
    for (const secret of [...Object.values(CANARY), body.email, body.phone_number, keyed.email, keyed.phone_number, unsent.email, CANARY_FIRST_NAME, token, newToken, '$2b$', 'token=', ...secrets, '203.0.113.10']) {
      expect(text).not.toContain(secret);
    }
  });
});
