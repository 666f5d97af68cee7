import { describe, expect, it } from 'vitest';
import { validateFhir } from '../support/fhir-validator.js';
import { awaitMails, documentClient } from '../support/local-aws.js';
import { api, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

/** PATCH /me (issue 20) through the real handlers, DynamoDB Local, the local keys and the SES emulator. */
describe('PATCH /me', () => {
  async function signedIn() {
    const patient = await verifiedPatient({ medical_history: ['Asthma'] });
    const token = patient.session.access_token as string;
    const read = await api.meAs(token);
    return { ...patient, token, etag: read.headers.ETag as string, record: read.body.data };
  }

  it('corrects the record with a merge patch and If-Match: 200 with the record and its new ETag, which GET /me then shows', async () => {
    const { token, etag, record } = await signedIn();
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const response = await api.meUpdate(token, { address: { street: '12 Elm Street', zip: '02139', city: 'Cambridge' }, medical_history: ['Asthma', 'Hay fever'], insurance_info: null }, { 'If-Match': etag });
    expect(response.statusCode).toBe(200);
    expect(response.body.data).toMatchObject({ address: { ...record.address, street: '12 Elm Street', zip: '02139', city: 'Cambridge' }, medical_history: ['Asthma', 'Hay fever'] });
    expect(response.body.data).not.toHaveProperty('insurance_info');
    const after = await api.meAs(token);
    expect(after.body.data).toEqual(response.body.data);
    expect(after.headers.ETag).toBe(response.headers.ETag);
    expect(after.headers.ETag).not.toBe(etag);
    expect(Date.parse(after.body.data.updated_at)).toBeGreaterThan(Date.parse(record.updated_at));
  });

  it('keeps medical history encrypted at rest after the change', async () => {
    const { token, etag, patientId } = await signedIn();
    await api.meUpdate(token, { medical_history: ['Migraine with aura'] }, { 'If-Match': etag });
    const { Item } = await documentClient.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: `PATIENT#${patientId}`, sk: 'PROFILE' } }));
    expect(JSON.stringify(Item)).not.toContain('Migraine');
    expect(Item!.phi_key).toBeDefined();
  });

  it('428 without If-Match, 412 with a stale one (naming the current ETag), and nothing written', async () => {
    const { token, etag } = await signedIn();
    const missing = await api.meUpdate(token, { last_name: 'Jones' });
    expect(missing.statusCode).toBe(428);
    const first = await api.meUpdate(token, { last_name: 'Jones' }, { 'If-Match': etag });
    const stale = await api.meUpdate(token, { last_name: 'Brown' }, { 'If-Match': etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.headers.ETag).toBe(first.headers.ETag);
    expect((await api.meAs(token)).body.data.last_name).toBe('Jones');
  });

  it('of 6 parallel corrections from one read exactly one lands; the rest get 412', async () => {
    const { token, etag } = await signedIn();
    const names = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Frost'];
    const answers = await Promise.all(names.map((last_name) => api.meUpdate(token, { last_name }, { 'If-Match': etag })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    const winner = answers.find((a) => a.statusCode === 200)!.body.data.last_name;
    expect((await api.meAs(token)).body.data.last_name).toBe(winner);
  });

  it('refuses email, phone, server-owned and unknown fields, and a broken rule, with the spec envelope', async () => {
    const { token, etag } = await signedIn();
    const refused = await api.meUpdate(token, { email: 'new@email.com', phone_number: '+14155552671', is_active: false, nickname: 'J' }, { 'If-Match': etag });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toMatchObject({ success: false, message: 'Validation failed', errors: { is_active: ['Cannot be set by the client'], email: ['Unknown field'], nickname: ['Unknown field'] } });
    const broken = await api.meUpdate(token, { date_of_birth: '2999-01-01' }, { 'If-Match': etag });
    expect(broken.statusCode).toBe(422);
    expect(Object.keys(broken.body.errors)).toEqual(['date_of_birth']);
    const empty = await api.meUpdate(token, {}, { 'If-Match': etag });
    expect(empty.statusCode).toBe(422);
  });

  it('accepts application/json too, and refuses another media type with 415', async () => {
    const { token, etag } = await signedIn();
    expect((await api.meUpdate(token, { gender: 'other' }, { 'If-Match': etag, 'Content-Type': 'application/json' })).statusCode).toBe(200);
    expect((await api.meUpdate(token, { gender: 'male' }, { 'If-Match': etag, 'Content-Type': 'text/plain' })).statusCode).toBe(415);
  });

  it('a changed name mails a notice that repeats no value; the FHIR view follows the correction', async () => {
    const { token, etag, body } = await signedIn();
    await api.meUpdate(token, { first_name: 'Janet', last_name: 'Okafor' }, { 'If-Match': etag });
    await sweepOutbox();
    const mails = await awaitMails(body.email, 2);
    const notice = mails.find((m) => m.subject === 'Your details were changed')!;
    expect(notice).toBeDefined();
    expect(`${notice.body.text}${notice.body.html}`).not.toMatch(/Janet|Okafor|Jane|Smith/);
    const fhir = await api.me({ Authorization: `Bearer ${token}`, Accept: 'application/fhir+json' });
    expect(() => validateFhir(fhir.body)).not.toThrow();
    expect(fhir.body.name).toEqual([{ use: 'official', family: 'Okafor', given: ['Janet'] }]);
  });

  it('without a token: 401, before the body is looked at', async () => {
    const response = await api.meUpdate('not-a-token', { last_name: 'x' }, { 'If-Match': '*' });
    expect(response.statusCode).toBe(401);
  });
});
