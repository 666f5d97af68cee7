import { describe, expect, it } from 'vitest';
import { DuplicateRegistrationError, IdempotencyInProgressError, IdempotencyKeyReusedError } from '../../lib/errors.js';
import { jsonResponse, replayedResponse, type HttpResponse } from '../../lib/http/response.js';
import { createHash } from 'node:crypto';
import { idempotent as idempotentRun, requestFingerprint } from '../../lib/idempotency/idempotent.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../support/identifier-keys.js';
import { IDEMPOTENCY_LOCK_MS } from '../../lib/idempotency/ports.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { createFakeDeps, createFixedClock, createInMemoryIdempotencyStore } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';

/** A handler that answers with a numbered 201 and counts its runs. */
function countingHandler() {
  const handler = Object.assign(async (): Promise<HttpResponse> => jsonResponse(201, { run: ++handler.runs }), { runs: 0 });
  return handler;
}

function setup() {
  return { store: createInMemoryIdempotencyStore(), clock: createFixedClock(), handle: countingHandler() };
}

/** As the register handler composes it: a replay is answered with the HTTP layer's replayedResponse. */
const idempotent = (...args: [Parameters<typeof idempotentRun>[0], Parameters<typeof idempotentRun>[1], string, string, () => Promise<HttpResponse>]) =>
  idempotentRun(...args, replayedResponse);

const rejection = (attempt: Promise<unknown>) => attempt.then(() => expect.fail('answered'), (e: unknown) => e);

describe('idempotent(): at most one run per Idempotency-Key', () => {
  it('a retry with the same key and body gets the stored answer, marked replayed, without a second run', async () => {
    const { store, clock, handle } = setup();
    const first = await idempotent(store, clock, 'key-1', 'body-1', handle);
    clock.advance(1000);
    const retry = await idempotent(store, clock, 'key-1', 'body-1', handle);
    expect(handle.runs).toBe(1);
    expect(retry).toMatchObject({ statusCode: 201, body: first.body, headers: { 'Idempotent-Replayed': 'true' } });
  });

  it.each([
    ['another key, same body', 'key-2', 'body-1'],
    ['another key, another body', 'key-2', 'body-2'],
  ])('%s: runs again and gets its own answer, never the earlier one', async (_case, key, fingerprint) => {
    const { store, clock, handle } = setup();
    const first = await idempotent(store, clock, 'key-1', 'body-1', handle);
    const other = await idempotent(store, clock, key, fingerprint, handle);
    expect(handle.runs).toBe(2);
    expect(other.body).not.toBe(first.body);
    expect(other.headers['Idempotent-Replayed']).toBeUndefined();
  });

  it.each([
    ['after it completed', true],
    ['while it runs', false],
  ])('the same key with another body is refused %s, and nothing runs', async (_case, completed) => {
    const { store, clock, handle } = setup();
    if (completed) await idempotent(store, clock, 'key-1', 'body-1', handle);
    else await store.begin('key-1', 'body-1', 'other-request', clock.now());
    const runs = handle.runs;
    expect(await rejection(idempotent(store, clock, 'key-1', 'body-2', handle))).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(handle.runs).toBe(runs);
  });

  it('a duplicate while the first still runs is told to retry; after the lock runs out it takes over', async () => {
    const { store, clock, handle } = setup();
    await store.begin('key-1', 'body-1', 'crashed-request', clock.now());
    expect(await rejection(idempotent(store, clock, 'key-1', 'body-1', handle))).toBeInstanceOf(IdempotencyInProgressError);
    clock.advance(IDEMPOTENCY_LOCK_MS + 1);
    expect((await idempotent(store, clock, 'key-1', 'body-1', handle)).statusCode).toBe(201);
    expect(handle.runs).toBe(1);
  });

  it('a failed run frees the key: the retry runs again', async () => {
    const { store, clock, handle } = setup();
    const failure = new Error('DynamoDB unavailable');
    expect(await rejection(idempotent(store, clock, 'key-1', 'body-1', async () => { throw failure; }))).toBe(failure);
    expect((await idempotent(store, clock, 'key-1', 'body-1', handle)).statusCode).toBe(201);
    expect(handle.runs).toBe(1);
  });
});

describe('requestFingerprint: what makes two requests the same', () => {
  const body = () => uniqueRegistration() as Record<string, any>;
  const digests = testIdentifierDigests(identifierKeyRingJson());
  const fingerprint = (b: object) => requestFingerprint(b, digests);

  it('ignores key order at every level', async () => {
    const b = body();
    const reordered = Object.fromEntries(Object.entries(b).reverse().map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v]));
    expect(await fingerprint(reordered)).toBe(await fingerprint(b));
  });

  it.each([
    ['first_name', (b: any) => ({ ...b, first_name: 'Other' })],
    ['email', (b: any) => ({ ...b, email: `x${b.email}` })],
    ['a nested field', (b: any) => ({ ...b, address: { ...b.address, zip: '02102' } })],
    ['insurance', (b: any) => ({ ...b, insurance_info: { ...b.insurance_info, policy_number: 'OTHER-1' } })],
    ['an added field', (b: any) => ({ ...b, medical_history: ['x'] })],
  ])('differs when %s differs', async (_case, change) => {
    const b = body();
    expect(await fingerprint(change(b))).not.toBe(await fingerprint(b));
  });

  it('leaves passwords out (nothing derived from a password is stored but its bcrypt hash)', async () => {
    const b = body();
    expect(await fingerprint({ ...b, password: 'Another#Pass-1', confirm_password: 'Another#Pass-1' })).toBe(await fingerprint(b));
  });

  it('is keyed: without the key, guesses of the encrypted fields cannot be tested against it', async () => {
    const b = body();
    const { password: _p, confirm_password: _c, ...rest } = b;
    const bare = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
    const keyed = await fingerprint(b);
    expect(keyed).not.toContain(bare(rest));
    expect(await requestFingerprint(b, testIdentifierDigests(identifierKeyRingJson()))).not.toBe(keyed);
  });
});

describe('register with an Idempotency-Key (idempotent() around registerPatient, as the handler composes them)', () => {
  const deps = createFakeDeps();
  const registerWith = (body: RegistrationRequest, key: string) =>
    (async () => {
      const fingerprint = await requestFingerprint(body, deps.identifiers);
      return idempotent(deps.storage.registrations, deps.clock, key, fingerprint, async () => jsonResponse(201, (await registerPatient(body, deps, { key, fingerprint })).patient));
    })();

  it('the same key and body get the earlier 201; another key for the same patient is a duplicate; the key with another body is refused', async () => {
    const body = uniqueRegistration() as RegistrationRequest;
    const created = await registerWith(body, 'key-a');
    expect((await registerWith(structuredClone(body), 'key-a')).body).toBe(created.body);
    expect(await rejection(registerWith(structuredClone(body), 'key-b'))).toBeInstanceOf(DuplicateRegistrationError);
    expect(await rejection(registerWith({ ...body, first_name: 'Other' }, 'key-a'))).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(deps.repository.patients()).toHaveLength(1);
  });
});
