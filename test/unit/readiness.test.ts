import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handler as health } from '../../functions/health/handler.js';
import { waitUntilHealthy } from '../../lib/local/readiness.js';
import { lambdaContext } from '../support/requests.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(answer: (path: string) => { status: number; body: string }): Promise<string> {
  const server = createServer((req, res) => {
    const { status, body } = answer(req.url ?? '/');
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('npm start readiness (GET /api/v1/health)', () => {
  it('is ready once the health function\'s own answer comes back on the path', async () => {
    const { body } = await health({ headers: {} }, lambdaContext);
    const url = await serve((path) => (path === '/api/v1/health' ? { status: 200, body } : { status: 404, body: '{}' }));
    await expect(waitUntilHealthy(url, { timeoutMs: 2_000 })).resolves.toBeUndefined();
  });

  it.each([
    ['another program answering 200 with its own body', { status: 200, body: '{"status":"UP"}' }],
    ['a 503', { status: 503, body: '{"success":false}' }],
  ])('refuses %s, naming the URL and the last answer', async (_name, answer) => {
    const url = await serve(() => answer);
    await expect(waitUntilHealthy(url, { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(
      new RegExp(`${url}/api/v1/health .*last: ${answer.status}`),
    );
  });

  it('refuses a port nobody answers on', async () => {
    const url = await serve(() => ({ status: 200, body: '' }));
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await expect(waitUntilHealthy(url, { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(/did not become healthy/);
  });
});
