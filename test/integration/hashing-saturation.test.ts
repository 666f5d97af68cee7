import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashingPool } from '../../lib/adapters/bcrypt/hashing-pool.js';
import { loadConfig } from '../../lib/config.js';
import { createApiServer } from '../../lib/local/api-server.js';
import { loadRoutes } from '../../lib/local/routes.js';
import { usePasswordHasher } from '../../lib/wiring.js';
import { scanTable } from '../support/local-aws.js';
import { uniqueRegistration } from '../support/requests.js';

/**
 * Issue 23 item 5: a full hashing pool answers 503 + Retry-After before any work, and a 503 never
 * stands for a registration that was written. The local server as `npm start` runs it, with a small
 * pool (1 hash at a time, and a budget so short that nothing waits behind it): 40 registrations at
 * once must each end as exactly one of "201 and stored" or "503 and nothing stored".
 */
const pool = createHashingPool(loadConfig().bcryptRounds, { slots: 1, budgetMs: 1 });
usePasswordHasher(pool, pool); // before the handlers load: they build their dependencies at import
const server = createApiServer(await loadRoutes());
let base: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pool.close();
});

describe('40 registrations at once against a hashing pool with room for 1', () => {
  it('every 503 (with Retry-After) stored nothing, every 201 stored its patient', { timeout: 120_000 }, async () => {
    const bodies = Array.from({ length: 40 }, () => uniqueRegistration());
    const responses = await Promise.all(bodies.map(async (body) => {
      const response = await fetch(`${base}/api/v1/patient/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { email: body.email as string, status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as { data?: { patient_id: string } } };
    }));
    const items = await scanTable();
    const patientsByEmail = new Map(items.filter((i) => i.entity === 'patient').map((i) => [i.email as string, i]));
    const reservedFor = new Set(items.filter((i) => i.entity === 'reservation').map((i) => i.patient_id as string));

    expect(responses.map((r) => r.status).filter((s) => s !== 201 && s !== 503)).toEqual([]);
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 503);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of created) {
      expect(patientsByEmail.get(r.email)?.id).toBe(r.body.data!.patient_id);
      expect(reservedFor.has(r.body.data!.patient_id)).toBe(true);
    }
    for (const r of refused) {
      expect(r.retryAfter).toBe('1');
      expect(patientsByEmail.has(r.email)).toBe(false);
    }
  });
});

describe('a full hashing pool', () => {
  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses a registration and a sign-in at once with 503 + Retry-After, having written nothing; once room is back both run', { timeout: 60_000 }, async () => {
    const body = uniqueRegistration();
    const held = pool.admit(); // the one slot, taken: nothing else may wait within a 1 ms budget
    const before = (await scanTable()).length;
    try {
      for (const response of [await post('/api/v1/patient/register', body), await post('/api/v1/patient/login', { email: body.email, password: body.password })]) {
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('1');
      }
      expect((await scanTable()).length).toBe(before);
    } finally {
      held();
    }
    expect((await post('/api/v1/patient/register', body)).status).toBe(201);
    expect((await post('/api/v1/patient/login', { email: body.email, password: body.password })).status).toBe(403); // signed up, not yet verified
  });
});
