import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The answers the local server gives itself (no function runs: 404, 405, 413, the OpenAPI document)
 * carry the same CORS headers as the functions' answers, so a browser app on another port reads the
 * envelope instead of "Failed to fetch" (issue 22 item 5). The handlers and the server read
 * CORS_ALLOWED_ORIGINS when they load, so it is set before they are imported.
 */
process.env.CORS_ALLOWED_ORIGINS = 'http://localhost:*';
const { createApiServer } = await import('../../lib/local/api-server.js');
const { loadRoutes } = await import('../../lib/local/routes.js');

let base: string;
const server = createApiServer(await loadRoutes());
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const APP = 'http://localhost:5173';

describe('CORS on the local server\'s own answers', () => {
  it.each([
    ['404 (no such route)', () => fetch(`${base}/api/v1/patients`, { headers: { Origin: APP } }), 404],
    ['405 (wrong method)', () => fetch(`${base}/api/v1/patient/register`, { method: 'DELETE', headers: { Origin: APP } }), 405],
    ['413 (body over 64 KiB)', () => fetch(`${base}/api/v1/patient/register`, {
      method: 'POST', headers: { Origin: APP, 'Content-Type': 'application/json' }, body: `"${'x'.repeat(1 << 17)}"`,
    }), 413],
    ['the OpenAPI document', () => fetch(`${base}/api/v1/openapi.json`, { headers: { Origin: APP } }), 200],
  ])('%s: the allowed origin is echoed, with Vary and the exposed headers', async (_name, send, status) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-expose-headers')).toBe('Retry-After, WWW-Authenticate, ETag');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('a refused origin gets Vary only, as from the functions', async () => {
    const response = await fetch(`${base}/api/v1/patients`, { headers: { Origin: 'https://evil.example' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toBe('Origin');
  });
});
