import { availableParallelism } from 'node:os';
import type { HashingAdmission, PasswordHasher } from '../../patient/ports.js';
import { processBcrypt, type BcryptImplementation } from './bcrypt-implementation.js';
import { createBcryptPasswordHasher } from './bcrypt-password-hasher.js';
import { createHashingGate } from './hashing-gate.js';
import { createWorkerPasswordHasher } from './worker-password-hasher.js';

/**
 * Requests one hashing slot may have waiting behind the one it runs before the pool refuses more: an
 * admitted request then waits for at most 4 hashes per slot (~1 s here, a few seconds on a loaded
 * machine), well inside a registration's 15 s; past that a client is better told to retry (503 +
 * Retry-After) than kept waiting for an answer that may come after its deadline.
 */
export const QUEUE_PER_SLOT = 4;

export interface HashingPoolOptions {
  /** Hashes run at once (default: the machine's cores). */
  slots?: number;
  queuePerSlot?: number;
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
 * stall every other request). Admission (`admit`) bounds what may wait: slots × (1 + queuePerSlot).
 */
export function createHashingPool(rounds: number, { slots = availableParallelism(), queuePerSlot = QUEUE_PER_SLOT, bcrypt = processBcrypt() }: HashingPoolOptions = {}): HashingPool {
  const gate = createHashingGate(slots * (1 + queuePerSlot));
  const hasher: PasswordHasher & { close?(): Promise<void> } = bcrypt.name === 'native'
    ? limitConcurrency(createBcryptPasswordHasher(rounds, bcrypt), slots)
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

/** At most `slots` hashes at once, the rest in arrival order: libuv's 4 threads stay free for file and DNS work. */
function limitConcurrency(hasher: PasswordHasher, slots: number): PasswordHasher {
  let running = 0;
  const waiting: (() => void)[] = [];
  const run = async <T>(job: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await job();
    } finally {
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
