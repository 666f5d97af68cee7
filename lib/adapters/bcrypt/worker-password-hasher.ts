import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { MIN_BCRYPT_ROUNDS } from '../../config.js';
import type { PasswordHasher } from '../../patient/ports.js';
import { needsBcryptRehash } from './bcrypt-password-hasher.js';

/**
 * bcrypt on worker threads, for a process that serves many requests at once (the local server).
 * bcryptjs's async API yields to the event loop only every 100 ms, so hashing on the main thread
 * stalls every other request by up to that much; off the main thread nothing waits.
 * Lambda does not need this: an instance serves one request at a time.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ id, password, rounds, hash }) => {
  try {
    const result = hash === undefined ? bcrypt.hashSync(password, rounds) : bcrypt.compareSync(password, hash);
    parentPort.postMessage({ id, result });
  } catch { parentPort.postMessage({ id, error: true }); }
});`;

interface Pending {
  worker: Worker;
  resolve(result: string | boolean): void;
  reject(error: Error): void;
}

export function createWorkerPasswordHasher(rounds: number, size = availableParallelism()): PasswordHasher & { close(): Promise<void> } {
  if (rounds < MIN_BCRYPT_ROUNDS) throw new Error(`bcrypt cost must be at least ${MIN_BCRYPT_ROUNDS}`);
  const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
  const pending = new Map<number, Pending>();
  const load = new Map<Worker, number>();
  let nextId = 0;

  for (let i = 0; i < size; i++) {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
    worker.unref(); // an idle pool never keeps the process alive
    worker.on('message', ({ id, result, error }: { id: number; result?: string | boolean; error?: boolean }) => {
      load.set(worker, (load.get(worker) ?? 1) - 1);
      const job = pending.get(id);
      pending.delete(id);
      if (error || result === undefined) job?.reject(new Error('bcrypt failed'));
      else job?.resolve(result);
    });
    // A worker that dies fails its own pending hashes (the request answers 500) instead of hanging them.
    worker.on('exit', () => {
      load.delete(worker);
      for (const [id, job] of pending) {
        if (job.worker !== worker) continue;
        pending.delete(id);
        job.reject(new Error('bcrypt worker exited'));
      }
    });
    load.set(worker, 0);
  }
  const leastBusy = () => [...load.entries()].reduce((a, b) => (b[1] < a[1] ? b : a))[0];

  const run = (job: { password: string; hash?: string }) =>
    new Promise<string | boolean>((resolve, reject) => {
      if (load.size === 0) return reject(new Error('no bcrypt worker left'));
      const id = nextId++;
      const worker = leastBusy();
      pending.set(id, { worker, resolve, reject });
      load.set(worker, load.get(worker)! + 1);
      worker.postMessage({ id, rounds, ...job });
    });

  return {
    hash: async (password) => String(await run({ password })),
    compare: async (password, hash) => (await run({ password, hash })) === true,
    needsRehash: (hash) => needsBcryptRehash(hash, rounds),
    async close() {
      await Promise.all([...load.keys()].map((w) => w.terminate()));
    },
  };
}
