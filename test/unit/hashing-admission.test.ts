import { describe, expect, it } from 'vitest';
import { createHashingGate } from '../../lib/adapters/bcrypt/hashing-gate.js';
import { createHashingPool } from '../../lib/adapters/bcrypt/hashing-pool.js';
import type { BcryptImplementation } from '../../lib/adapters/bcrypt/bcrypt-implementation.js';
import { HashingBusyError, ServiceUnavailableError } from '../../lib/errors.js';
import { toErrorResponse } from '../../lib/http/error-mapper.js';
import { DEADLINE_MARGIN_MS } from '../../lib/http/json-api.js';
import { answerBeforeWriteDeadline, guardWrites } from '../../lib/http/write-deadline.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { createFakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';

/** A promise the test settles when it chooses. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A bcrypt whose hashes end only when the test lets them, counting how many run at once. */
function heldBcrypt() {
  const held: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const bcrypt: BcryptImplementation = {
    name: 'native',
    hash: async () => {
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => held.push(resolve));
      running--;
      return '$2b$12$hash';
    },
    compare: async () => true,
  };
  return { bcrypt, held, most: () => most };
}

describe('admission to the hashing pool (issue 23 item 5)', () => {
  it('admits while the hashes ahead would end within the budget, refuses the next with 503 + Retry-After, and admits again once one is released', () => {
    // 2 slots, 300 ms a hash, 1 s budget: ⌈n / 2⌉ × 300 ms ≤ 1 s for n ≤ 6.
    const gate = createHashingGate({ slots: 2, budgetMs: 1000, initialHashMs: 300 });
    const releases = Array.from({ length: 6 }, () => gate.admit());
    const refused = (() => { try { gate.admit(); } catch (error) { return error; } })();
    expect(refused).toBeInstanceOf(HashingBusyError);
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    const response = toErrorResponse(refused);
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('1');
    releases[0]!();
    releases[0]!(); // a second release frees nothing more
    expect(gate.admitted).toBe(5);
    gate.admit();
    expect(() => gate.admit()).toThrow(HashingBusyError);
  });

  it('admits fewer once hashes are measured slower, and never fewer than its slots', () => {
    const gate = createHashingGate({ slots: 2, budgetMs: 1000, initialHashMs: 300 });
    for (let i = 0; i < 30; i++) gate.observe(600); // a loaded machine: ⌈n / 2⌉ × 600 ms ≤ 1 s only for n ≤ 2
    gate.admit();
    gate.admit();
    expect(() => gate.admit()).toThrow(HashingBusyError);
    const slow = createHashingGate({ slots: 2, budgetMs: 1000, initialHashMs: 5000 }); // even a hash over budget
    slow.admit();
    slow.admit();
    expect(() => slow.admit()).toThrow(HashingBusyError);
  });

  it('a pool of 1 slot runs 1 hash at a time and measures each for its admission', async () => {
    const { bcrypt, held, most } = heldBcrypt();
    const pool = createHashingPool(12, { slots: 1, budgetMs: 1, bcrypt });
    pool.admit();
    expect(() => pool.admit()).toThrow(HashingBusyError);
    const hashes = [pool.hash('a'), pool.hash('b')];
    await expect.poll(() => held.length).toBe(1);
    held.shift()!();
    await expect.poll(() => held.length).toBe(1);
    held.shift()!();
    await Promise.all(hashes);
    expect(most()).toBe(1);
  });
});

describe('a registration against its deadline (issue 23 item 5)', () => {
  const context = (ms: number) => {
    const end = Date.now() + ms;
    return { getRemainingTimeInMillis: () => end - Date.now() };
  };
  const body = () => uniqueRegistration() as RegistrationRequest;

  it('answered 503 before its write began: the write never begins, no patient is stored', async () => {
    const deps = createFakeDeps();
    const hash = deferred<string>();
    let registration!: Promise<unknown>;
    const answer = answerBeforeWriteDeadline(context(DEADLINE_MARGIN_MS + 50), (write) =>
      (registration = registerPatient(body(), { ...deps, hasher: { ...deps.hasher, hash: () => hash.promise }, repository: guardWrites(deps.repository, write, ['createPatient']) })));
    await expect(answer).rejects.toBeInstanceOf(ServiceUnavailableError);
    hash.resolve('$2b$12$late'); // the hash ends after the 503
    await expect(registration).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(deps.repository.patients()).toHaveLength(0);
  });

  it('whose write began before the deadline is answered with its outcome, even after the deadline', async () => {
    const deps = createFakeDeps();
    const commit = deferred();
    const slowRepository = { ...deps.repository, createPatient: async (...args: Parameters<typeof deps.repository.createPatient>) => { await commit.promise; return deps.repository.createPatient(...args); } };
    const began = deferred();
    const deadline = context(DEADLINE_MARGIN_MS + 50);
    const answer = answerBeforeWriteDeadline(deadline, (write) =>
      registerPatient(body(), { ...deps, repository: guardWrites(slowRepository, { begin: () => { write.begin(); began.resolve(); } }, ['createPatient']) }));
    await began.promise;
    // Past the deadline's moment, the write still running: the answer waits for it.
    await expect.poll(() => deadline.getRemainingTimeInMillis() < DEADLINE_MARGIN_MS - 20, { timeout: 5000 }).toBe(true);
    commit.resolve();
    const { patient } = await answer;
    expect(deps.repository.patients().map((p) => p.id)).toEqual([patient.patient_id]);
  });
});
