import { KMSClient } from '@aws-sdk/client-kms';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWrappedSigningKey, SIGNING_KEY_PURPOSE } from '../../lib/adapters/kms/kms-wrapped-signing-key.js';
import { identifierKeyMessage } from '../../lib/adapters/kms/kms-identifier-key-ring.js';
import { startFakeKms } from '../support/fake-kms.js';
import { describePasskeyFlow } from '../support/passkey-flow.js';
import { getItem, mailsTo, scanTable, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

/**
 * The functions with their AWS KMS configuration, as they run in AWS: the real KMS SDK clients
 * (built by the wiring) talk HTTP to a KMS stand-in on loopback, since no KMS emulator exists. It
 * shows what each function asks KMS for, and gives the IAM comparison (test/iam) recorded calls for
 * the kms:GenerateDataKey, kms:GenerateMac and (the signing functions' unwrap) kms:Decrypt grants.
 */
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const IDENTIFIER_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/feedbeef-12ab-34cd-56ef-1234567890ab';
const WRAPPING_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/5161a9e0-12ab-34cd-56ef-1234567890ab';
const kms = await startFakeKms(KEY_ARN);
// The deploy step (the custom resource's generator) against the same stand-in: a key pair whose private
// half exists only as ciphertext of the wrapping key. A client the test builds: no function's call.
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const signingKey = await generateWrappedSigningKey(new KMSClient({ region: 'us-east-1', endpoint: kms.endpoint, credentials }), WRAPPING_KEY_ARN);

// The functions' configuration in AWS: KMS keys, and credentials from the environment.
const saved = { ...process.env };
Object.assign(process.env, {
  KMS_KEY_ID: KEY_ARN,
  IDENTIFIER_KEY_ID: IDENTIFIER_KEY_ARN,
  IDENTIFIER_KEY_VERSIONS: 'v2,v1',
  ACCESS_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: [signingKey.publicJwk] }),
  ACCESS_TOKEN_SIGNING_KEY: signingKey.wrappedKey,
  ACCESS_TOKEN_WRAPPING_KEY_ID: WRAPPING_KEY_ARN,
  AWS_ENDPOINT_URL_KMS: kms.endpoint,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});
delete process.env.IDENTIFIER_KEYS;
afterAll(async () => {
  for (const name of ['KMS_KEY_ID', 'ACCESS_TOKEN_PUBLIC_KEYS', 'ACCESS_TOKEN_SIGNING_KEY', 'ACCESS_TOKEN_WRAPPING_KEY_ID', 'IDENTIFIER_KEY_ID', 'IDENTIFIER_KEY_VERSIONS', 'IDENTIFIER_KEYS', 'AWS_ENDPOINT_URL_KMS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await kms.stop();
});

// Imported after the environment is set: each handler reads it at module load, like a cold start.
const { handler: register } = await import('../../functions/register/handler.js');
const { handler: resend } = await import('../../functions/resend-verification/handler.js');
const { handler: outboxMailer } = await import('../../functions/outbox-mailer/handler.js');
const { handler: verify } = await import('../../functions/verify-email/handler.js');
const { handler: login } = await import('../../functions/login/handler.js');
const { handler: refresh } = await import('../../functions/token-refresh/handler.js');
const { handler: logout } = await import('../../functions/logout/handler.js');
const { handler: me } = await import('../../functions/me/handler.js');
const { handler: meUpdate } = await import('../../functions/me-update/handler.js');
const { handler: meClose } = await import('../../functions/me-close/handler.js');
const { handler: meEmail } = await import('../../functions/me-email/handler.js');
const { handler: meEmailConfirm } = await import('../../functions/me-email-confirm/handler.js');
const { handler: mePhone } = await import('../../functions/me-phone/handler.js');
const { handler: mePhoneVerify } = await import('../../functions/me-phone-verify/handler.js');
const { handler: meSessionEnd } = await import('../../functions/me-session-end/handler.js');
const { handler: meSessionsRevokeOthers } = await import('../../functions/me-sessions-revoke-others/handler.js');
const { handler: meExport } = await import('../../functions/me-export/handler.js');
const { handler: phoneVerification } = await import('../../functions/phone-verification/handler.js');
const { handler: passwordForgot } = await import('../../functions/password-forgot/handler.js');
const { handler: passwordReset } = await import('../../functions/password-reset/handler.js');
const { handler: passwordChange } = await import('../../functions/password-change/handler.js');
const { handler: phoneVerify } = await import('../../functions/phone-verify/handler.js');
const { handler: meTotp } = await import('../../functions/me-totp/handler.js');
const { handler: meTotpConfirm } = await import('../../functions/me-totp-confirm/handler.js');
const { handler: meTotpRemove } = await import('../../functions/me-totp-remove/handler.js');
const { handler: loginMfa } = await import('../../functions/login-mfa/handler.js');
const { totpCodeAt, totpStepAt } = await import('../../lib/auth/totp.js');

const macRequests = () => kms.received.filter((r) => r.target === 'GenerateMac');

describe('the functions with AWS KMS', () => {
  it('register asks KMS for one data key under the patient-phi context of the new patient, and never to decrypt', async () => {
    kms.received.length = 0;
    const response = await invoke(register, apiEvent(uniqueRegistration()));
    expect(response.statusCode).toBe(201);
    const patientId = response.body.data.patient_id;

    expect(kms.received.filter((r) => r.target !== 'GenerateMac')).toEqual([{
      target: 'GenerateDataKey',
      body: { KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { purpose: 'patient-phi', patient_id: patientId } },
    }]);
    const item = await getItem(`PATIENT#${patientId}`, 'PROFILE');
    expect(item?.phi_key).toMatchObject({ key_id: KEY_ARN });
  });

  it('derives the identifier keys inside KMS, one GenerateMac per version, once per cold start', async () => {
    // By now register has derived its key ring: a second registration asks for no MAC.
    const before = macRequests().length;
    expect((await invoke(register, apiEvent(uniqueRegistration()))).statusCode).toBe(201);
    expect(macRequests()).toHaveLength(before);
    const messages = macRequests().map((r) => Buffer.from(r.body.Message, 'base64').toString());
    expect(new Set(messages)).toEqual(new Set([identifierKeyMessage('v2'), identifierKeyMessage('v1')]));
    for (const request of macRequests()) expect(request.body).toMatchObject({ KeyId: IDENTIFIER_KEY_ARN, MacAlgorithm: 'HMAC_SHA_256' });
    // Reservations are written under the current version.
    const reservations = (await scanTable()).filter((i) => i.entity === 'reservation').map((i) => i.pk as string);
    expect(reservations.length).toBeGreaterThan(0);
    expect(reservations.every((pk) => /^(EMAIL|PHONE)#v2\.[0-9a-f]{64}$/.test(pk))).toBe(true);
  });

  it('resend and the outbox find the same patient, and the same link token, through keys derived from the same KMS key', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    expect((await invoke(resend, apiEvent({ email: body.email }, { path: '/api/v1/patient/resend-verification' }))).statusCode).toBe(200);
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const mails = await mailsTo(body.email);
    expect(mails).toHaveLength(2);
    // The live link is sent again: the mailer derived the very token register derived from the stored
    // seed, so both used the same KMS-derived key (lib/patient/link-token.ts).
    expect(tokenFrom(mails[1]!)).toBe(tokenFrom(mails[0]!));
  });
});

describe('sign-in with AWS KMS', () => {
  const targets = (from: number) => kms.received.slice(from).map((r) => r.target).filter((t) => t !== 'GenerateMac');

  it('tokens are signed in memory: each signing function unwraps the key with one Decrypt per cold start, and never calls Sign', async () => {
    const body = uniqueRegistration({ medical_history: ['asthma'] });
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never); // the verification mail
    const unwrap = { target: 'Decrypt', body: expect.objectContaining({ KeyId: WRAPPING_KEY_ARN, EncryptionContext: { purpose: SIGNING_KEY_PURPOSE, kid: signingKey.publicJwk.kid } }) };
    const verifyStart = kms.received.length;
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    expect(verified.statusCode).toBe(200);
    expect(kms.received.slice(verifyStart).filter((r) => r.target !== 'GenerateMac')).toEqual([unwrap]);
    expect(decodeProtectedHeader(verified.body.data.access_token).kid).toBe(signingKey.publicJwk.kid);

    const loginStart = kms.received.length;
    const session = (await invoke(login, apiEvent({ email: body.email, password: body.password }, { path: '/api/v1/patient/login' }))).body.data;
    expect(kms.received.slice(loginStart).filter((r) => r.target !== 'GenerateMac')).toEqual([unwrap]);
    const again = kms.received.length;
    await invoke(login, apiEvent({ email: body.email, password: body.password }, { path: '/api/v1/patient/login' }));
    expect(targets(again)).toEqual([]);

    const refreshStart = kms.received.length;
    const refreshed = await invoke(refresh, apiEvent({ refresh_token: session.refresh_token }, { path: '/api/v1/patient/token/refresh' }));
    expect(refreshed.statusCode).toBe(200);
    expect(kms.received.slice(refreshStart).filter((r) => r.target !== 'GenerateMac')).toEqual([unwrap]);
    const bearer = { 'Content-Type': 'application/json', Authorization: `Bearer ${refreshed.body.data.access_token}` };

    const meStart = kms.received.length;
    const record = await invoke(me, apiEvent(undefined, { method: 'GET', path: '/api/v1/patient/me', headers: bearer }));
    expect(record.statusCode).toBe(200);
    expect(record.body.data).toMatchObject({ medical_history: ['asthma'], insurance_info: body.insurance_info });
    // /me alone decrypts, under the patient-phi context of the caller's own record.
    const decrypts = kms.received.slice(meStart).filter((r) => r.target === 'Decrypt');
    expect(decrypts).toEqual([{ target: 'Decrypt', body: expect.objectContaining({ KeyId: KEY_ARN, EncryptionContext: { purpose: 'patient-phi', patient_id: session.patient_id } }) }]);

    const logoutStart = kms.received.length;
    const out = await invoke(logout, apiEvent({ refresh_token: refreshed.body.data.refresh_token }, { path: '/api/v1/patient/logout', headers: bearer }));
    expect(out.statusCode).toBe(200);
    // Verifying needs the published public key only: no KMS call at all.
    expect(targets(logoutStart)).toEqual([]);
    expect(kms.received.filter((r) => r.target === 'Decrypt' && r.body.KeyId === KEY_ARN)).toHaveLength(1);
  });
});

describe('correcting the record with AWS KMS (PATCH /me)', () => {
  it('decrypts the record it corrects and re-encrypts the patient data under a fresh data key, both under the patient-phi context of the caller', async () => {
    const body = uniqueRegistration({ medical_history: ['asthma'] });
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    const { access_token: accessToken, patient_id: patientId } = verified.body.data;
    const read = await invoke(me, apiEvent(undefined, { method: 'GET', path: '/api/v1/patient/me', headers: { Authorization: `Bearer ${accessToken}` } }));
    const start = kms.received.length;
    const headers = { 'Content-Type': 'application/merge-patch+json', Authorization: `Bearer ${accessToken}`, 'If-Match': read.headers.ETag! };
    const corrected = await invoke(meUpdate, apiEvent({ medical_history: ['asthma', 'hay fever'] }, { method: 'PATCH', path: '/api/v1/patient/me', headers }));
    expect(corrected.statusCode).toBe(200);
    expect(corrected.body.data.medical_history).toEqual(['asthma', 'hay fever']);
    const phi = { purpose: 'patient-phi', patient_id: patientId };
    expect(kms.received.slice(start).filter((r) => r.target !== 'GenerateMac')).toEqual([
      { target: 'Decrypt', body: expect.objectContaining({ KeyId: KEY_ARN, EncryptionContext: phi }) },
      { target: 'GenerateDataKey', body: expect.objectContaining({ KeyId: KEY_ARN, EncryptionContext: phi }) },
    ]);
  });
});

describe('exporting the record with AWS KMS (GET /me/export)', () => {
  it('decrypts the caller\'s record under its patient-phi context, once per form, and generates or signs nothing', async () => {
    const body = uniqueRegistration({ medical_history: ['asthma'] });
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    const { access_token: accessToken, patient_id: patientId } = verified.body.data;
    const headers = { Authorization: `Bearer ${accessToken}` };
    const start = kms.received.length;
    const exported = await invoke(meExport, apiEvent(undefined, { method: 'GET', path: '/api/v1/patient/me/export', headers }));
    expect(exported.statusCode).toBe(200);
    expect(exported.body.data.record.medical_history).toEqual(['asthma']);
    const fhir = await invoke(meExport, apiEvent(undefined, { method: 'GET', path: '/api/v1/patient/me/export', headers, query: { format: 'fhir' } }));
    expect(fhir.statusCode).toBe(200);
    const decrypt = { target: 'Decrypt', body: expect.objectContaining({ KeyId: KEY_ARN, EncryptionContext: { purpose: 'patient-phi', patient_id: patientId } }) };
    expect(kms.received.slice(start).filter((r) => r.target !== 'GenerateMac')).toEqual([decrypt, decrypt]);
  });
});

describe('ending sessions with AWS KMS (DELETE /me/sessions/{id}, POST /me/sessions/revoke-others)', () => {
  it('derive their identifier keys (the audit\'s source-address digest) inside KMS, and decrypt, generate or sign nothing', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    const signIn = async () => (await invoke(login, apiEvent({ email: body.email, password: body.password }, { path: '/api/v1/patient/login' }))).body.data;
    const other = await signIn();
    await signIn(); // a third session, for revoke-others to end
    const bearer = { Authorization: `Bearer ${verified.body.data.access_token}` };
    const start = kms.received.length;
    const id = String(decodeJwt(other.access_token).sid);
    const path = `/api/v1/patient/me/sessions/${id}`;
    const ended = await invoke(meSessionEnd, { ...apiEvent(undefined, { method: 'DELETE', path, headers: bearer }), resource: '/api/v1/patient/me/sessions/{id}', pathParameters: { id } });
    expect(ended.statusCode).toBe(200);
    const revoked = await invoke(meSessionsRevokeOthers, apiEvent(undefined, { method: 'POST', path: '/api/v1/patient/me/sessions/revoke-others', headers: bearer }));
    expect(revoked.statusCode).toBe(200);
    const calls = kms.received.slice(start);
    expect(calls.map((r) => r.target).filter((t) => t !== 'GenerateMac')).toEqual([]);
    expect(calls.filter((r) => r.target === 'GenerateMac').every((r) => r.body.KeyId === IDENTIFIER_KEY_ARN)).toBe(true);
    expect(calls.length).toBeGreaterThan(0);
  });
});

describe('closing the account with AWS KMS (POST /me/close)', () => {
  it('derives its identifier keys (the audit\'s source-address digest) inside KMS, and decrypts, generates or signs nothing', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    const start = kms.received.length;
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${verified.body.data.access_token}` };
    const closed = await invoke(meClose, apiEvent({ password: body.password }, { path: '/api/v1/patient/me/close', headers }));
    expect(closed.statusCode).toBe(200);
    const calls = kms.received.slice(start);
    expect(calls.map((r) => r.target).filter((t) => t !== 'GenerateMac')).toEqual([]);
    expect(calls.filter((r) => r.target === 'GenerateMac').every((r) => r.body.KeyId === IDENTIFIER_KEY_ARN)).toBe(true);
    expect(calls.length).toBeGreaterThan(0);
  });
});

describe('moving the email with AWS KMS (POST /me/email, POST /me/email/confirm)', () => {
  it('digest the new address (its reservation, checked under every key version in use) and the audit\'s source address inside KMS, and decrypt, generate or sign nothing', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${verified.body.data.access_token}` };
    const to = `moved.${body.email}`;
    const start = kms.received.length;
    // A wrong password first: the lock's counter is reset by the right one.
    expect((await invoke(meEmail, apiEvent({ email: to, password: 'Not-The-Password-1!' }, { path: '/api/v1/patient/me/email', headers }))).statusCode).toBe(401);
    expect((await invoke(meEmail, apiEvent({ email: to, password: body.password }, { path: '/api/v1/patient/me/email', headers }))).statusCode).toBe(202);
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const token = tokenFrom((await mailsTo(to)).at(-1)!);
    const moved = await invoke(meEmailConfirm, apiEvent({ token }, { path: '/api/v1/patient/me/email/confirm', headers }));
    expect(moved.statusCode).toBe(200);
    const calls = kms.received.slice(start);
    expect(calls.map((r) => r.target).filter((t) => t !== 'GenerateMac')).toEqual([]);
    expect(calls.filter((r) => r.target === 'GenerateMac').every((r) => r.body.KeyId === IDENTIFIER_KEY_ARN)).toBe(true);
    expect(calls.length).toBeGreaterThan(0);
  });
});

describe('moving the phone with AWS KMS (POST /me/phone, POST /me/phone/verify)', () => {
  it('digest the code and the new number (its reservation, checked under every key version in use) inside KMS; nothing is decrypted, generated or signed', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const session = (await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email)).at(-1)!), password: body.password }, { path: '/api/v1/patient/verify-email' }))).body.data;
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${session.access_token}` };
    const { textsTo, codeFrom } = await import('../support/local-aws.js');
    const newPhone = uniqueRegistration().phone_number;
    const start = kms.received.length;
    expect((await invoke(mePhone, apiEvent({ phone_number: newPhone, password: 'Not-The-Password-1!' }, { path: '/api/v1/patient/me/phone', headers }))).statusCode).toBe(401);
    expect((await invoke(mePhone, apiEvent({ phone_number: newPhone, password: body.password }, { path: '/api/v1/patient/me/phone', headers }))).statusCode).toBe(202);
    await outboxMailer({ source: 'aws.events' } as never);
    const code = codeFrom((await textsTo(newPhone)).at(-1)!);
    expect((await invoke(mePhoneVerify, apiEvent({ code }, { path: '/api/v1/patient/me/phone/verify', headers }))).statusCode).toBe(200);
    const targets = new Set(kms.received.slice(start).map((r) => r.target));
    expect([...targets].sort()).toEqual(['GenerateMac']);
  });
});

describe('phone verification with AWS KMS', () => {
  it('each phone function verifies the token with the published public key and digests the code under KMS-derived keys; nothing is decrypted or signed', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never); // the verification mail
    const session = (await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email)).at(-1)!), password: body.password }, { path: '/api/v1/patient/verify-email' }))).body.data;
    const bearer = { 'Content-Type': 'application/json', Authorization: `Bearer ${session.access_token}` };
    const start = kms.received.length;
    expect((await invoke(phoneVerification, apiEvent(undefined, { path: '/api/v1/patient/phone/verification', headers: bearer }))).statusCode).toBe(202);
    await outboxMailer({ source: 'aws.events' } as never);
    const { textsTo, codeFrom } = await import('../support/local-aws.js');
    const code = codeFrom((await textsTo(body.phone_number)).at(-1)!);
    expect((await invoke(phoneVerify, apiEvent({ code }, { path: '/api/v1/patient/phone/verify', headers: bearer }))).statusCode).toBe(200);
    const targets = new Set(kms.received.slice(start).map((r) => r.target));
    expect([...targets].sort()).toEqual(['GenerateMac']);
  });
});

describe('password recovery with AWS KMS', () => {
  it('forgot, reset and change digest under KMS-derived keys, change verifies the token with the published key; only login unwraps its signing key', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    const start = kms.received.length;
    expect((await invoke(passwordForgot, apiEvent({ email: body.email }, { path: '/api/v1/patient/password/forgot' }))).statusCode).toBe(200);
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const resetMail = (await mailsTo(body.email)).filter((m) => m.subject === 'Reset your password').at(-1)!;
    const password = 'N3w-Passphrase!x';
    const reset = await invoke(passwordReset, apiEvent({ token: tokenFrom(resetMail), password, confirm_password: password }, { path: '/api/v1/patient/password/reset' }));
    expect(reset.statusCode).toBe(200);
    const session = (await invoke(login, apiEvent({ email: body.email, password }, { path: '/api/v1/patient/login' }))).body.data;
    const bearer = { 'Content-Type': 'application/json', Authorization: `Bearer ${session.access_token}` };
    const changed = await invoke(passwordChange, apiEvent({ current_password: password, password: 'An0ther-Passphrase!', confirm_password: 'An0ther-Passphrase!' }, { path: '/api/v1/patient/password/change', headers: bearer }));
    expect(changed.statusCode).toBe(200);
    const targets = new Set(kms.received.slice(start).filter((r) => r.body.KeyId !== WRAPPING_KEY_ARN).map((r) => r.target));
    expect(targets.has('Decrypt')).toBe(false);
    expect(targets.has('GenerateMac')).toBe(true);
  });
});

describe('the authenticator app with AWS KMS (issue 21)', () => {
  it('its secret gets a data key under the authenticator-secret context (never patient-phi); confirm, the second sign-in step and removal decrypt under that context only', async () => {
    const body = uniqueRegistration();
    await invoke(register, apiEvent(body));
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom((await mailsTo(body.email))[0]!), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    const patientId = verified.body.data.patient_id;
    const bearer = (token: string) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${token}` });
    const start = kms.received.length;
    const enrolment = await invoke(meTotp, apiEvent(undefined, { path: '/api/v1/patient/me/totp', headers: bearer(verified.body.data.access_token) }));
    expect(enrolment.statusCode).toBe(200);
    const step = totpStepAt(new Date());
    const confirmed = await invoke(meTotpConfirm, apiEvent({ code: totpCodeAt(enrolment.body.data.secret, step) }, { path: '/api/v1/patient/me/totp/confirm', headers: bearer(verified.body.data.access_token) }));
    expect(confirmed.statusCode).toBe(200);
    const challenge = (await invoke(login, apiEvent({ email: body.email, password: body.password }, { path: '/api/v1/patient/login' }))).body.data;
    expect(challenge).toMatchObject({ mfa_required: true, methods: ['totp'] });
    const signedIn = await invoke(loginMfa, apiEvent({ mfa_token: challenge.mfa_token, code: totpCodeAt(enrolment.body.data.secret, step + 1) }, { path: '/api/v1/patient/login/mfa' }));
    expect(signedIn.statusCode).toBe(200);
    expect(decodeJwt(signedIn.body.data.access_token)).toMatchObject({ amr: ['pwd', 'otp'] });
    const remove = (proof: object) => invoke(meTotpRemove, apiEvent(proof, { method: 'DELETE', path: '/api/v1/patient/me/totp', headers: bearer(signedIn.body.data.access_token) }));
    // A wrong code is compared with the decrypted secret too (then refused); a recovery code needs no secret.
    expect((await remove({ code: totpCodeAt(enrolment.body.data.secret, step + 5) })).statusCode).toBe(401);
    expect((await remove({ recovery_code: confirmed.body.data.recovery_codes[0] })).statusCode).toBe(200);
    const onDataKey = kms.received.slice(start).filter((r) => r.target === 'GenerateDataKey' || (r.target === 'Decrypt' && r.body.KeyId === KEY_ARN));
    expect(onDataKey.map((r) => r.target)).toEqual(['GenerateDataKey', 'Decrypt', 'Decrypt', 'Decrypt']);
    for (const call of onDataKey) expect(call.body.EncryptionContext).toEqual({ purpose: 'authenticator-secret', patient_id: patientId });
  });
});

// Passkeys (issue 21) with AWS KMS: the same flow as on every store, here so that the IAM comparison sees
// the calls only KMS answers: the audit's source-address digest (GenerateMac) of enrolling, removing and
// signing in, and the signing key's unwrap (Decrypt) of the passkey sign-in.
describePasskeyFlow('DynamoDB Local with AWS KMS', async () => ({
  register, verify, outboxMailer,
  enrolOptions: (await import('../../functions/passkey-enrol-options/handler.js')).handler,
  enrol: (await import('../../functions/passkey-enrol/handler.js')).handler,
  loginOptions: (await import('../../functions/passkey-login-options/handler.js')).handler,
  login: (await import('../../functions/passkey-login/handler.js')).handler,
  remove: (await import('../../functions/passkey-remove/handler.js')).handler,
  passwordLogin: login, loginMfa,
}));

describe('asking for a phone claim code with AWS KMS (POST /phone-claim)', () => {
  it('digests the number (its per-number limit) inside KMS, and decrypts, generates or signs nothing', async () => {
    const { handler: phoneClaim } = await import('../../functions/phone-claim/handler.js');
    const start = kms.received.length;
    const answer = await invoke(phoneClaim, apiEvent({ phone_number: uniqueRegistration().phone_number }, { path: '/api/v1/patient/phone-claim' }));
    expect(answer.statusCode).toBe(202);
    const calls = kms.received.slice(start);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.target === 'GenerateMac' && r.body.KeyId === IDENTIFIER_KEY_ARN)).toBe(true);
  });
});
