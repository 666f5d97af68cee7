import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { CODE_QUEUED } from '../../functions/phone-verification/handler.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { documentClient, getItem, scanTable, textsTo } from '../support/local-aws.js';
import { codeSentTo, phoneApi } from '../support/phone-api.js';
import { api, verifiedPatient } from '../support/sign-in-api.js';

const signedIn = async () => {
  const patient = await verifiedPatient();
  return { ...patient, access: patient.session.access_token as string, phone: patient.body.phone_number as string };
};
const wrongOf = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const setOnItem = (key: Record<string, string>, fields: Record<string, unknown>) =>
  documentClient.send(new UpdateCommand({
    TableName: process.env.TABLE_NAME,
    Key: key,
    UpdateExpression: `SET ${Object.keys(fields).map((f, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(Object.keys(fields).map((f, i) => [`#f${i}`, f])),
    ExpressionAttributeValues: Object.fromEntries(Object.values(fields).map((v, i) => [`:v${i}`, v])),
  }));

describe('phone verification by SMS (handlers, DynamoDB Local, the local SMS inbox)', () => {
  it('a code by SMS, then the right code: 200, phone_verified true in GET /me; the text came from the origination identity', async () => {
    const { access, phone, patientId } = await signedIn();
    const asked = await phoneApi.requestCode(access);
    expect(asked.statusCode).toBe(202);
    expect(asked.body).toEqual({ success: true, message: CODE_QUEUED });
    await phoneApi.sweep();
    const [text] = await textsTo(phone);
    expect(text).toMatchObject({ from: 'ClinicTest', messageType: 'TRANSACTIONAL', body: expect.stringMatching(/^\d{6} /) });
    const code = /^(\d{6})/.exec(text!.body)![1]!;

    const verified = await phoneApi.verify(access, { code });
    expect(verified.statusCode).toBe(200);
    expect(verified.body).toEqual({ success: true, message: 'Phone number verified', data: { phone_verified: true } });
    expect((await api.meAs(access)).body.data.phone_verified).toBe(true);
    expect(await getItem(`PATIENT#${patientId}`, 'PROFILE')).toMatchObject({ phone_verified: true, phone_verified_at: expect.any(String) });
    const actions = (await auditTrailOf(patientId)).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['phone_code_sent:success', 'phone_verification:success']));
  });

  it('stores no code and forgets the text once sent: only a keyed digest in the table', async () => {
    const { access, phone, patientId } = await signedIn();
    const code = await codeSentTo(access, phone);
    const items = (await scanTable()).filter((i) => i.pk === `PHONECODE#${patientId}` || (i.entity === 'outbox' && i.patient_id === patientId && i.kind === 'phone_code_sms'));
    expect(items).toHaveLength(2);
    expect(JSON.stringify(items)).not.toContain(code);
    expect(items.find((i) => i.entity === 'outbox')).toMatchObject({ status: 'sent' });
    expect(items.find((i) => i.entity === 'phone_code')!.code_digest).toMatch(/^v1\.[0-9a-f]{64}$/);
  });

  it('a wrong code: 422 with the tries left in errors.code; after 5, even the right code is 410', async () => {
    const { access, phone } = await signedIn();
    const code = await codeSentTo(access, phone);
    const first = await phoneApi.verify(access, { code: wrongOf(code) });
    expect(first.statusCode).toBe(422);
    expect(first.body).toEqual({ success: false, message: 'Validation failed', errors: { code: ['The code is not correct. 4 tries left.'] } });
    for (let i = 0; i < 4; i++) await phoneApi.verify(access, { code: wrongOf(code) });
    const gone = await phoneApi.verify(access, { code });
    expect(gone.statusCode).toBe(410);
    expect(gone.body.message).toBe('Too many wrong tries for this code. Request a new code.');
    expect((await api.meAs(access)).body.data.phone_verified).toBe(false);
  });

  it('an expired code is 410', async () => {
    const { access, phone, patientId } = await signedIn();
    const code = await codeSentTo(access, phone);
    await setOnItem(keys.phoneCode(patientId), { expires_at: new Date(Date.now() - 1000).toISOString() });
    const gone = await phoneApi.verify(access, { code });
    expect(gone.statusCode).toBe(410);
    expect(gone.body.message).toBe('This code has expired. Request a new code.');
  });

  it('no code asked for: 410', async () => {
    const { access } = await signedIn();
    const gone = await phoneApi.verify(access, { code: '123456' });
    expect(gone.statusCode).toBe(410);
    expect(gone.body.message).toBe('There is no code to check. Request a new code.');
  });

  it('a new code replaces the older one', async () => {
    const { access, phone } = await signedIn();
    const older = await codeSentTo(access, phone);
    const newer = await codeSentTo(access, phone);
    if (older !== newer) expect((await phoneApi.verify(access, { code: older })).statusCode).toBe(422);
    expect((await phoneApi.verify(access, { code: newer })).statusCode).toBe(200);
  });

  it('3 codes per hour per patient, then 429 with Retry-After', async () => {
    const { access } = await signedIn();
    for (let i = 0; i < 3; i++) expect((await phoneApi.requestCode(access)).statusCode).toBe(202);
    const refused = await phoneApi.requestCode(access);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['Retry-After'])).toBeGreaterThan(0);
  });

  it('an already verified phone: another code is 409, another verify is 200 (idempotent)', async () => {
    const { access, phone } = await signedIn();
    const code = await codeSentTo(access, phone);
    expect((await phoneApi.verify(access, { code })).statusCode).toBe(200);
    const again = await phoneApi.requestCode(access);
    expect(again.statusCode).toBe(409);
    expect(again.body.message).toBe('The phone number is already verified');
    expect((await phoneApi.verify(access, { code })).statusCode).toBe(200);
  });

  it('a deactivated patient: 403 on both routes', async () => {
    const { access, phone, patientId } = await signedIn();
    const code = await codeSentTo(access, phone);
    await setOnItem(keys.patient(patientId), { is_active: false });
    expect((await phoneApi.requestCode(access)).statusCode).toBe(403);
    expect((await phoneApi.verify(access, { code })).statusCode).toBe(403);
  });

  it('no or a bad access token: 401; a malformed code: 422 naming the field, and no try counted', async () => {
    const { access, phone, patientId } = await signedIn();
    expect((await phoneApi.requestCode('not-a-token')).statusCode).toBe(401);
    expect((await phoneApi.verify('not-a-token', { code: '123456' })).statusCode).toBe(401);
    await codeSentTo(access, phone);
    for (const code of ['12345', '1234567', 'abcdef', 123456]) {
      const refused = await phoneApi.verify(access, { code });
      expect(refused.statusCode, String(code)).toBe(422);
      expect(Object.keys(refused.body.errors)).toEqual(['code']);
    }
    expect((await getItem(`PHONECODE#${patientId}`, 'CODE'))!.failures).toBe(0);
  });
});
