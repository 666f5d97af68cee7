import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegisterHandler, handler as register } from '../../functions/register/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as resend } from '../../functions/resend-verification/handler.js';
import { loadConfig } from '../../lib/config.js';
import { createRegisterDeps } from '../../lib/wiring.js';
import { apiEvent, invoke, SPEC_EXAMPLE, uniqueRegistration } from '../support/requests.js';
import { awaitMails, reservationKeys, scanTable } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

/**
 * Generated hostile input through the real middleware chain, use case and DynamoDB Local. The only
 * substitution: generated bodies that happen to be valid are hashed at bcrypt's minimum cost 4
 * instead of 12, so thousands of cases finish in seconds; hashing is not what is tested here.
 */
const fastDeps = { ...createRegisterDeps(loadConfig()), hasher: { hash: async () => '$2b$04$fixture.fixture.fixture.fixture.fixture.fixture.fix', compare: async () => false, needsRehash: () => false } };
const fuzzRegister = createRegisterHandler(fastDeps);

let cases = 0;
async function expectClientAnswer(handler: (e: any, c: any) => Promise<any>, event: ReturnType<typeof apiEvent>) {
  cases++;
  const response = await handler(event, {} as never);
  expect(response.statusCode === 201 || (response.statusCode >= 400 && response.statusCode < 500)).toBe(true);
  const body = JSON.parse(response.body);
  expect(typeof body.success).toBe('boolean');
  expect(typeof body.message).toBe('string');
  expect(response.body).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  return response;
}

const hostileKey = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'));
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.double(), fc.integer(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ minLength: 200, maxLength: 3000 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** A valid body with one field (possibly nested) replaced by something generated. */
const paths = ['first_name', 'last_name', 'email', 'phone_number', 'password', 'confirm_password', 'date_of_birth', 'gender', 'address',
  'address.zip', 'address.country', 'address.street', 'emergency_contact', 'emergency_contact.phone', 'medical_history', 'insurance_info',
  'insurance_info.policy_number', '__proto__', 'constructor', 'id', 'email_verified'];
const mutatedBody = fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, value]) => {
  const body: Record<string, any> = uniqueRegistration();
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((node, key) => (typeof node[key] === 'object' && node[key] ? node[key] : (node[key] = {})), body);
  Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(body);
});

describe('generated hostile input never gets a 5xx or a throw', () => {
  it('arbitrary JSON values as the body', async () => {
    await fc.assert(fc.asyncProperty(hostileValue, async (value) => {
      await expectClientAnswer(fuzzRegister, apiEvent(JSON.stringify(value) ?? 'null'));
    }), { numRuns: 1500 });
  });

  it('valid bodies with one field replaced by anything', async () => {
    await fc.assert(fc.asyncProperty(mutatedBody, async (body) => {
      await expectClientAnswer(fuzzRegister, apiEvent(body));
    }), { numRuns: 1500 });
  });

  it('arbitrary text as the body, under arbitrary content types', async () => {
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/vnd.api+json');
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 500 }), contentType, async (text, type) => {
      await expectClientAnswer(fuzzRegister, apiEvent(text, { headers: type ? { 'content-type': type } : {} }));
    }), { numRuns: 1000 });
  });

  it('the other endpoints too', async () => {
    await fc.assert(fc.asyncProperty(hostileValue, async (value) => {
      await expectClientAnswer(verify, apiEvent(JSON.stringify({ token: value }) ?? 'null', { path: '/api/v1/patient/verify-email' }));
      await expectClientAnswer(resend, apiEvent(JSON.stringify(value) ?? 'null', { path: '/api/v1/patient/resend-verification' }));
    }), { numRuns: 500 });
    console.info(`generated cases run: ${cases}`);
  });
});

describe('bounds before expensive work', () => {
  it.each([
    ['nested 5,000 levels deep', `{"first_name":${'['.repeat(5000)}${']'.repeat(5000)}}`, 422],
    ['nested 7 levels under a known field', JSON.stringify({ ...SPEC_EXAMPLE, address: { a: { b: { c: { d: { e: { f: 1 } } } } } } }), 422],
    ['12,000 history entries (under 64 KiB)', JSON.stringify({ ...SPEC_EXAMPLE, medical_history: Array(12_000).fill('x') }), 422],
    ['over 64 KiB of history', JSON.stringify({ ...SPEC_EXAMPLE, medical_history: Array(40_000).fill('x') }), 413],
  ])('%s → %s', async (_name, body, status) => {
    expect((await invoke(fuzzRegister, apiEvent(body))).statusCode).toBe(status);
  });
});

describe('50-way race', () => {
  it('one email in mixed case, one phone in mixed formatting: exactly one patient, no orphans', async () => {
    const base = uniqueRegistration();
    const p = base.phone_number as string;
    const formats = [p, `${p.slice(0, 2)} ${p.slice(2, 5)} ${p.slice(5)}`, `${p.slice(0, 2)}-(${p.slice(2, 5)})-${p.slice(5, 8)}.${p.slice(8)}`];
    const attempts = Array.from({ length: 50 }, (_, i) => ({
      ...uniqueRegistration(),
      email: i % 3 === 0 ? base.email : i % 3 === 1 ? base.email.toUpperCase() : ` ${base.email.replace(/^./, (c: string) => c.toUpperCase())}`,
      phone_number: formats[i % 3],
    }));
    const responses = await Promise.all(attempts.map((a) => invoke(register, apiEvent(a))));

    const statuses = responses.map((r) => r.statusCode).sort().join(',');
    expect(statuses, 'one winner, 49 refused as duplicates').toBe(['201', ...Array(49).fill('422')].join(','));
    const items = await scanTable();
    const winner = responses.find((r) => r.statusCode === 201)!.body.data.patient_id;
    expect(items.filter((i) => i.entity === 'patient' && i.email === base.email)).toHaveLength(1);
    const reserved = await reservationKeys(base.email, p);
    const reservations = items.filter((i) => i.pk === reserved.email || i.pk === reserved.phone);
    expect(reservations).toHaveLength(2);
    expect(reservations.every((i) => i.patient_id === winner)).toBe(true);
    // Every token, reservation and outbox item in the table belongs to a patient that exists.
    const patients = new Set(items.filter((i) => i.entity === 'patient').map((i) => i.id));
    for (const orphan of items.filter((i) => i.patient_id && !patients.has(i.patient_id))) throw new Error(`orphan ${orphan.entity}`);
    expect(await awaitMails(base.email, 1)).toHaveLength(1);
  });
});

describe('text that no store or mailer can use is refused up front', () => {
  it.each([
    ['a lone surrogate in the first name', { first_name: 'Jo\ud800' }, 'first_name'],
    ['a NUL in the last name', { last_name: 'Smith\u0000' }, 'last_name'],
    ['an escape character in the street', { address: { ...SPEC_EXAMPLE.address, street: '456 Main\u001b[31m' } }, 'address.street'],
    ['a C1 control in a history entry', { medical_history: ['ok', 'asthma\u0085'] }, 'medical_history.1'],
  ])('%s → 422 naming the field', async (_name, change, field) => {
    const response = await invoke(fuzzRegister, apiEvent({ ...uniqueRegistration(), ...change }));
    expect(response.statusCode).toBe(422);
    expect(response.body.errors).toEqual({ [field]: ['Must not contain control characters or invalid Unicode'] });
  });

  it('keeps line breaks and tabs, and all of Unicode, in free text', async () => {
    const body = uniqueRegistration({ first_name: 'Zoë 李', medical_history: ['line one\nline two\ttabbed'] });
    expect((await invoke(fuzzRegister, apiEvent(body))).statusCode).toBe(201);
  });
});
