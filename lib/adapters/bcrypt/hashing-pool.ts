import { availableParallelism } from 'node:os';
import type { HashingAdmission, PasswordHasher } from '../../patient/ports.js';
import { processBcrypt, type BcryptImplementation } from './bcrypt-implementation.js';
import { createBcryptPasswordHasher } from './bcrypt-password-hasher.js';
import { createHashingGate } from './hashing-gate.js';
import { createWorkerPasswordHasher } from './worker-password-hasher.js';

/**
 * How long an admitted registration may wait for its hash to end: a third of the register function's
 * 15 s, leaving the rest for its reads, its transaction and a machine that slows down meanwhile.
 * Past that, a client is better told to retry (503 + Retry-After) than kept waiting for an answer
 * that might come after its deadline.
 */
export const HASHING_BUDGET_MS = 5_000;
/** A cost-12 hash until one is measured: native bcrypt takes ~250 ms here, bcryptjs ~350 ms. */
const INITIAL_HASH_MS = 500;

export interface HashingPoolOptions {
  /** Hashes run at once (default: the machine's cores). */
  slots?: number;
  /** How long an admitted request's hash may take to end, queue included (default HASHING_BUDGET_MS). */
  budgetMs?: number;
  bcrypt?: BcryptImplementation;
}

export type HashingPool = PasswordHasher & HashingAdmission & {
  /** What hashes: the native binding (as in Lambda), or bcryptjs on worker threads where it does not load. */
  readonly implementation: BcryptImplementation['name'];
  close(): Promise<void>;
};

/**
 * The local server's hashing: one process serves many requests at once (a Lambda instance one). The
 * same bcrypt as Lambda (native @node-rs/bcrypt, on libuv's threads, off the event loop), `slots` at a
 * time; bcryptjs on worker threads if the binding does not load (bcryptjs on the main thread would
 * stall every other request). Admission (`admit`, hashing-gate.ts) lets in only what can be hashed within
 * the budget at the measured cost of a hash.
 */
export function createHashingPool(rounds: number, { slots = availableParallelism(), budgetMs = HASHING_BUDGET_MS, bcrypt = processBcrypt() }: HashingPoolOptions = {}): HashingPool {
  const gate = createHashingGate({ slots, budgetMs, initialHashMs: INITIAL_HASH_MS });
  const hasher: PasswordHasher & { close?(): Promise<void> } = bcrypt.name === 'native'
    ? limitConcurrency(createBcryptPasswordHasher(rounds, bcrypt), slots, gate.observe)
    // bcryptjs on workers is the fallback only: its admission keeps the initial estimate.
    : createWorkerPasswordHasher(rounds, slots);
  return {
    hash: (password) => hasher.hash(password),
    compare: (password, hash) => hasher.compare(password, hash),
    needsRehash: (hash) => hasher.needsRehash(hash),
    admit: () => gate.admit(),
    implementation: bcrypt.name,
    close: async () => hasher.close?.(),
  };
}

/**
 * At most `slots` hashes at once, the rest in arrival order (libuv's 4 threads stay free for file and
 * DNS work); each one's own duration, without its wait, goes to `observe`.
 */
function limitConcurrency(hasher: PasswordHasher, slots: number, observe: (ms: number) => void): PasswordHasher {
  let running = 0;
  const waiting: (() => void)[] = [];
  const run = async <T>(job: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    const started = performance.now();
    try {
      return await job();
    } finally {
      observe(performance.now() - started);
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return {
    hash: (password) => run(() => hasher.hash(password)),
    compare: (password, hash) => run(() => hasher.compare(password, hash)),
    needsRehash: (hash) => hasher.needsRehash(hash),
  };
}
