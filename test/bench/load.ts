import { Worker } from 'node:worker_threads';

export interface LoadSpec {
  url: string;
  path: string;
  body: unknown;
  expectStatus: number;
  count: number;
  /** closed: `concurrency` clients back to back; open: one request every `intervalMs`, whatever happens. */
  mode: 'closed' | 'open';
  concurrency?: number;
  intervalMs?: number;
}

export interface LoadResult {
  latencies: number[];
  elapsedMs: number;
}

/** Runs the load from a worker thread (test/bench/load-worker.mjs): its own event loop, its own core. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), { workerData: spec });
    worker.once('message', (message: { ok: true } & LoadResult | { ok: false; error: string }) => {
      if (message.ok) resolve({ latencies: message.latencies, elapsedMs: message.elapsedMs });
      else reject(new Error(`load worker: ${message.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}
