import bcrypt from 'bcryptjs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient, getItem } from '../support/local-aws.js';
import { uniqueRegistration } from '../support/requests.js';
import { api, newestToken, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';
import { auditTrailOf } from '../support/audit-trail.js';

const INVALID = { success: false, message: 'Invalid email or password' };
const SESSION_SHAPE = {
  patient_id: expect.any(String),
  access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
  token_type: 'Bearer',
  expires_in: 900,
  refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
};

describe('POST /login', () => {
  it('signs a verified patient in, in the issue\'s shape', async () => {
    const { body, patientId } = await verifiedPatient();
    const response = await api.login(body.email, body.password);
    expect(response.statusCode).toBe(200);
    // The spec's fields, and the device token (issue 19 item 2) the client presents next time.
    expect(response.body).toEqual({ success: true, message: 'Login successful', data: { ...SESSION_SHAPE, patient_id: patientId, device_token: expect.stringMatching(/^[0-9a-f]{32}\.v\d+\.[0-9a-f]{64}$/) } });
    expect(response.headers['Cache-Control']).toBe('no-store');
  });

  it('unknown email and wrong password get the same 401', async () => {
    const { body } = await verifiedPatient();
    const unknown = await api.login(uniqueRegistration().email, body.password);
    const wrong = await api.login(body.email, 'Not-the-password-1');
    expect([unknown.statusCode, wrong.statusCode]).toEqual([401, 401]);
    expect(unknown.body).toEqual(INVALID);
    expect(wrong.body).toEqual(INVALID);
  });

  it('the right password of an unverified account: 403', async () => {
    const body = uniqueRegistration();
    await api.register(body);
    const response = await api.login(body.email, body.password);
    expect(response.statusCode).toBe(403);
    expect(response.body).toEqual({ success: false, message: 'Email address is not verified' });
  });

  it.each([
    ['no password', { email: 'a@b.co' }, ['password']],
    ['not an email', { email: 'nope', password: 'x' }, ['email']],
    ['an extra field', { email: 'a@b.co', password: 'x', admin: true }, ['admin']],
  ])('a malformed body (%s) gets 422 in the registration envelope', async (_case, body, fields) => {
    const { invoke, apiEvent } = await import('../support/requests.js');
    const { handler } = await import('../../functions/login/handler.js');
    const response = await invoke(handler, apiEvent(body, { path: '/api/v1/patient/login' }));
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ success: false, message: 'Validation failed' });
    expect(Object.keys(response.body.errors)).toEqual(fields);
  });

  it('a password hashed at a lower cost is re-hashed at the configured one when the patient signs in', async () => {
    const { body, patientId } = await verifiedPatient();
    const weak = await bcrypt.hash(body.password, 10);
    await documentClient.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME, Key: { pk: `PATIENT#${patientId}`, sk: 'PROFILE' },
      UpdateExpression: 'SET password_hash = :weak', ExpressionAttributeValues: { ':weak': weak },
    }));
    expect((await api.login(body.email, body.password)).statusCode).toBe(200);
    const stored = (await getItem(`PATIENT#${patientId}`, 'PROFILE'))!.password_hash as string;
    expect(bcrypt.getRounds(stored)).toBe(12);
    expect(await bcrypt.compare(body.password, stored)).toBe(true);
    expect((await api.login(body.email, body.password)).statusCode).toBe(200);
  });

  it('five wrong passwords lock the account for a second: 429 with Retry-After, even for the right password', async () => {
    const { body } = await verifiedPatient();
    for (let i = 0; i < 5; i++) expect((await api.login(body.email, `Wrong-${i}-password`)).statusCode).toBe(401);
    const locked = await api.login(body.email, body.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['Retry-After']).toBe('1');
    expect(locked.body).toEqual({ success: false, message: 'Too many failed sign-in attempts. Please try again later.' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await api.login(body.email, body.password)).statusCode).toBe(200);
  });
});

describe('refresh, sign-out and GET /me', () => {
  it('a scripted session, read back from the audit trail', async () => {
    const { body, patientId } = await verifiedPatient({ medical_history: ['asthma'] });
    await api.login(body.email, 'Wrong-password-1');
    const first = (await api.login(body.email, body.password)).body.data;

    const record = await api.meAs(first.access_token);
    expect(record.statusCode).toBe(200);
    expect(record.body.data).toMatchObject({ id: patientId, email: body.email, medical_history: ['asthma'], insurance_info: body.insurance_info });
    expect(record.body.data).not.toHaveProperty('password_hash');

    const second = await api.refresh(first.refresh_token);
    expect(second.statusCode).toBe(200);
    expect(second.body).toEqual({ success: true, message: 'Token refreshed', data: { ...SESSION_SHAPE, patient_id: patientId } });

    // The first refresh token again once its successor was used too: reuse. The whole family ends,
    // the newest token too. (Right after its use it would be a retry: the same answer again.)
    const newest = await api.refresh(second.body.data.refresh_token);
    expect(newest.statusCode).toBe(200);
    expect((await api.refresh(first.refresh_token)).statusCode).toBe(401);
    expect((await api.refresh(newest.body.data.refresh_token)).statusCode).toBe(401);
    expect((await api.meAs(newest.body.data.access_token)).statusCode).toBe(401);

    const third = (await api.login(body.email, body.password)).body.data;
    const out = await api.logout(third.access_token, third.refresh_token);
    expect(out.statusCode).toBe(200);
    expect(out.body).toEqual({ success: true, message: 'Logout successful' });
    expect((await api.refresh(third.refresh_token)).statusCode).toBe(401);

    const trail = await auditTrailOf(patientId);
    expect(trail.map((e) => [e.action, e.outcome, e.reason ?? null])).toEqual([
      ['email_verification', 'success', null],
      ['sign_in', 'failure', 'wrong_password'],
      ['sign_in', 'success', null],
      ['record_read', 'success', null],
      ['token_refresh', 'success', null],
      ['token_refresh', 'success', null],
      ['refresh_token_reuse', 'failure', 'reused'],
      ['sign_in', 'success', null],
      ['sign_out', 'success', null],
    ]);
    const read = trail.find((e) => e.action === 'record_read')!;
    expect(read.fields).toEqual(expect.arrayContaining(['medical_history', 'insurance_info', 'email']));
    for (const event of trail) {
      expect(event).toMatchObject({ id: expect.any(String), at: expect.any(String), requestId: expect.any(String), sourceIpDigest: expect.stringMatching(/^v1\.[0-9a-f]{64}$/) });
    }
    const text = JSON.stringify(trail);
    for (const secret of [body.email, body.password, 'asthma', body.insurance_info.policy_number, '203.0.113.10', first.refresh_token, first.access_token]) {
      expect(text).not.toContain(secret);
    }
  });

  it('GET /me without a token, with a tampered one or with alg none: 401 with the Bearer challenge', async () => {
    const { session } = await verifiedPatient();
    const missing = await api.me({});
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['WWW-Authenticate']).toBe('Bearer');
    const [header, payload] = session.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    for (const token of [`${header}.${forged}.${session.access_token.split('.')[2]}`, `${none}.${payload}.`, 'not-a-jwt', `${session.access_token}x`]) {
      const response = await api.meAs(token);
      expect(response.statusCode).toBe(401);
      expect(response.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
      expect(response.body).toEqual({ success: false, message: 'Invalid or expired access token' });
    }
  });

  it('sign-out needs a valid access token', async () => {
    const { session } = await verifiedPatient();
    const response = await api.logout('not-a-jwt', session.refresh_token);
    expect(response.statusCode).toBe(401);
    expect((await api.refresh(session.refresh_token)).statusCode).toBe(200);
  });

  it('the newest verification link still needs the password after a resend', async () => {
    const body = uniqueRegistration();
    await api.register(body);
    await sweepOutbox(); // the verification mail
    expect((await api.verify(await newestToken(body.email), 'Wrong-password-1')).statusCode).toBe(401);
  });
});
