// Load generator for bench.ts, run in a worker thread so that its clock and its sends do not wait
// for the server's event loop (the server, bcrypt included, runs on the main thread). Plain JS: it
// only needs node:http, and a worker does not inherit tsx's loader on every Node version.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, path, body, expectStatus, mode, count, concurrency = 1, intervalMs = 10 } = workerData;
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const payload = JSON.stringify(body);

function send() {
  return new Promise((resolve, reject) => {
    const req = request({
      agent, host: target.hostname, port: target.port, method: 'POST', path,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === expectStatus ? resolve() : reject(new Error(`expected ${expectStatus}, got ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function closedLoop() {
  // `concurrency` clients, each sending its next request when the previous answer arrived.
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const t = performance.now();
      await send();
      latencies.push(performance.now() - t);
    }
  }));
  return { latencies, elapsedMs: performance.now() - start };
}

async function openLoop() {
  // Requests arrive on a fixed schedule whatever the server is doing; latency counts from the
  // scheduled time, so a request that had to wait behind a stalled event loop is not hidden.
  const latencies = [];
  const start = performance.now();
  const pending = [];
  for (let i = 0; i < count; i++) {
    const scheduled = start + i * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send().then(() => latencies.push(performance.now() - scheduled)));
  }
  await Promise.all(pending);
  return { latencies, elapsedMs: performance.now() - start };
}

try {
  const result = mode === 'open' ? await openLoop() : await closedLoop();
  parentPort.postMessage({ ok: true, ...result });
} catch (error) {
  parentPort.postMessage({ ok: false, error: String(error?.stack ?? error) });
} finally {
  agent.destroy();
}
