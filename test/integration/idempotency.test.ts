import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as register } from '../../functions/register/handler.js';
import { registrationAttempt } from '../../lib/patient/registration-attempt.js';
import { loadConfig } from '../../lib/config.js';
import { requestFingerprint } from '../../lib/idempotency/idempotent.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { createRegisterDeps } from '../../lib/wiring.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { awaitMails, documentClient, scanTable } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

const withKey = (body: unknown, key: string) =>
  invoke(register, apiEvent(body, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } }));
const deps = createRegisterDeps(loadConfig());
const storedKey = async (body: Record<string, any>, key: string) => (await registrationAttempt(body as never, key, deps.identifiers)).storeKey;
const patientsWith = async (email: string) => (await scanTable()).filter((i) => i.entity === 'patient' && i.email === email);

describe('Idempotency-Key on register', () => {
  it('a retry with the same key and body returns the original 201 without a second patient or mail', async () => {
    const key = randomUUID();
    const body = uniqueRegistration();
    const first = await withKey(body, key);
    const retry = await withKey(body, key);

    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(await patientsWith(body.email)).toHaveLength(1);
    expect(await awaitMails(body.email, 1)).toHaveLength(1);
  });

  it('the stored answer holds nothing beyond the 201 body', async () => {
    const key = randomUUID();
    const body = uniqueRegistration();
    const { body: res } = await withKey(body, key);
    const pk = `IDEMPOTENCY#${await storedKey(body, key)}`;
    const [record] = (await scanTable()).filter((i) => i.pk === pk);
    expect(JSON.parse(record!.response_body)).toEqual(res);
    expect(JSON.stringify(record)).not.toContain(body.password);
    expect(JSON.stringify(record)).not.toContain('Blue Cross');
  });

  it('the same key with a different body for the same address is refused', async () => {
    const key = randomUUID();
    const first = uniqueRegistration();
    await withKey(first, key);
    const response = await withKey({ ...first, first_name: 'Someone', last_name: 'Else' }, key);
    expect(response.statusCode).toBe(422);
    expect(response.body).toEqual({ success: false, message: 'This Idempotency-Key was already used with a different request' });
    expect(await patientsWith(first.email)).toHaveLength(1);
  });

  it('concurrent duplicates of one key do not both run', async () => {
    const key = randomUUID();
    const body = uniqueRegistration();
    const responses = await Promise.all(Array.from({ length: 6 }, () => withKey(body, key)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    for (const r of responses.filter((r) => r.statusCode === 409)) expect(Number(r.headers['Retry-After'])).toBeGreaterThan(0);
    expect(new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.body.data.patient_id)).size).toBe(1);
    expect(await patientsWith(body.email)).toHaveLength(1);
    expect(await awaitMails(body.email, 1)).toHaveLength(1);
  });

  it('a refused request frees its key: the retry runs again and gets the same refusal', async () => {
    const key = randomUUID();
    const taken = uniqueRegistration();
    await invoke(register, apiEvent(taken));
    const clash = uniqueRegistration({ email: taken.email });
    expect((await withKey(clash, key)).statusCode).toBe(422);
    const retry = await withKey(clash, key);
    expect(retry.statusCode).toBe(422);
    expect(retry.body.errors).toEqual({ email: ['Email is already registered'] });
  });

  it('a retry after a request that committed and never answered (crash, timeout) gets the original 201', async () => {
    const key = randomUUID();
    const body = uniqueRegistration();
    // The crashed request: it took the key, registered the patient, and died before answering.
    const fingerprint = await requestFingerprint(body, deps.identifiers);
    await deps.registrations.begin(await storedKey(body, key), fingerprint, 'crashed', new Date(Date.now() - 61_000));
    const { patient } = await registerPatient(validateRegistration(body, deps.clock), deps, { key, fingerprint });

    const retry = await withKey(body, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.body.data).toEqual(patient);
    expect(await patientsWith(body.email)).toHaveLength(1);
    expect(await awaitMails(body.email, 1)).toHaveLength(1);
    // And that answer is now the key's stored answer.
    expect((await withKey(body, key)).headers['Idempotent-Replayed']).toBe('true');
  });

  it('after the key\'s record expired, the same key with another body does not get the earlier patient', async () => {
    const key = randomUUID();
    const victim = uniqueRegistration();
    expect((await withKey(victim, key)).statusCode).toBe(201);
    // The key's idempotency record is gone (expired, as TTL removes it); the patient still carries the key.
    await documentClient.send(new DeleteCommand({ TableName: process.env.TABLE_NAME, Key: { pk: `IDEMPOTENCY#${await storedKey(victim, key)}`, sk: 'REGISTER' } }));
    const attacker = { ...victim, first_name: 'Mallory', date_of_birth: '1970-01-01', address: { ...victim.address, street: '1 Other Road' } };
    const response = await withKey(attacker, key);
    expect(response.statusCode).toBe(422);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toEqual({ email: ['Email is already registered'], phone_number: ['Phone number is already registered'] });
  });

  it('two clients that happen to pick the same key each get their own registration', async () => {
    const key = 'order-1';
    const [first, second] = [uniqueRegistration(), uniqueRegistration()];
    const [a, b] = [await withKey(first, key), await withKey(second, key)];
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.body.data.patient_id).not.toBe(b.body.data.patient_id);
    expect(b.body.data.email).toBe(second.email);
  });

  it('the stored key names no address', async () => {
    const key = randomUUID();
    const body = uniqueRegistration();
    await withKey(body, key);
    const keys = (await scanTable()).filter((i) => i.entity === 'idempotency').map((i) => i.pk as string);
    expect(keys).toContain(`IDEMPOTENCY#${await storedKey(body, key)}`);
    expect(keys.join(' ')).not.toContain(body.email);
  });

  it('a different key does not get another request\'s patient: it is a duplicate', async () => {
    const body = uniqueRegistration();
    await withKey(body, randomUUID());
    const other = await withKey(body, randomUUID());
    expect(other.statusCode).toBe(422);
    expect(other.body.errors).toEqual({ email: ['Email is already registered'], phone_number: ['Phone number is already registered'] });
  });

  it.each([['has spaces'], ['x'.repeat(129)], ['']])('a malformed key %j is refused with 400', async (key) => {
    const response = await withKey(uniqueRegistration(), key);
    expect(response.statusCode).toBe(400);
    expect(response.body.message).toMatch(/^Idempotency-Key must be/);
  });
});
