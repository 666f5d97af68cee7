import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../lib/local/api-server.js';
import { loadRoutes } from '../../lib/local/routes.js';
import { awaitMails, getItem, scanTable, tokenFrom } from '../support/local-aws.js';
import { uniqueRegistration } from '../support/requests.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

/** The local server over real HTTP, routing to the same handlers that run in Lambda. */
let base: string;
const server = createApiServer(await loadRoutes());
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: string | Uint8Array, contentType = 'application/json') =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });

describe('npm start server', () => {
  it('registers, mails a link, serves the link page, and the posted token verifies the email', async () => {
    const body = uniqueRegistration();
    const response = await post('/api/v1/patient/register', JSON.stringify(body));
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const { data } = (await response.json()) as { data: { patient_id: string } };

    const [mail] = await awaitMails(body.email);
    const token = tokenFrom(mail!);
    const page = await fetch(`${base}/api/v1/patient/verify-email?token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<button id="confirm"');

    const verified = await post('/api/v1/patient/verify-email', JSON.stringify({ token, password: 'SecurePassword123!' }));
    expect(verified.status).toBe(200);
    expect((await getItem(`PATIENT#${data.patient_id}`, 'PROFILE'))!.email_verified).toBe(true);
  });

  it.each([
    ['an unknown route', () => fetch(`${base}/api/v1/patients`), 404, 'Not found'],
    ['a wrong method', () => fetch(`${base}/api/v1/patient/register`, { method: 'DELETE' }), 405, 'Method not allowed'],
    ['malformed JSON', () => post('/api/v1/patient/register', '{"a":'), 400, 'Request body is not valid JSON'],
    ['a text body', () => post('/api/v1/patient/register', 'hello', 'text/plain'), 415, 'Content-Type must be application/json'],
    ['a 1 MiB body', () => post('/api/v1/patient/register', `"${'x'.repeat(1 << 20)}"`), 413, 'Request body must not exceed 64 KiB'],
  ])('%s gets the JSON envelope', async (_name, send, status, message) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ success: false, message });
  });

  it('refuses a registration whose bytes are not UTF-8 (\\xff\\xfe in the name) with 400, and writes and mails nothing', async () => {
    const body = uniqueRegistration({ first_name: '@@' });
    const [before, after] = JSON.stringify(body).split('@@');
    const bytes = Buffer.concat([Buffer.from(before!), Buffer.from([0xff, 0xfe]), Buffer.from(after!)]);
    await awaitMails(body.email, 0); // earlier tests' mails are sent: the table holds still
    const stored = await scanTable();

    const response = await post('/api/v1/patient/register', bytes);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ success: false, message: 'Request body is not valid UTF-8' });
    expect(await scanTable()).toEqual(stored);
    expect(await awaitMails(body.email, 0)).toHaveLength(0);
  });

  it.each(['utf-16', 'iso-8859-1'])('refuses charset=%s with 415 and writes nothing', async (charset) => {
    const body = uniqueRegistration();
    await awaitMails(body.email, 0); // earlier tests' mails are sent: the table holds still
    const stored = await scanTable();
    const response = await post('/api/v1/patient/register', Buffer.from(JSON.stringify(body), 'latin1'), `application/json; charset=${charset}`);
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ success: false, message: 'Content-Type charset must be utf-8' });
    expect(await scanTable()).toEqual(stored);
  });

  it('stores a name in UTF-8 exactly as sent', async () => {
    const body = uniqueRegistration({ first_name: 'Renée', last_name: 'Ōtsuka' });
    const response = await post('/api/v1/patient/register', Buffer.from(JSON.stringify(body), 'utf8'), 'application/json; charset="UTF-8"');
    expect(response.status).toBe(201);
    const { data } = (await response.json()) as { data: { patient_id: string } };
    expect((await getItem(`PATIENT#${data.patient_id}`, 'PROFILE'))!.first_name).toBe('Renée');
  });

  it('serves the OpenAPI document with `servers` naming the address it was fetched from (a viewer\'s calls reach this server)', async () => {
    const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { servers: { url: string }[] };
    expect(document.servers.map((s) => s.url)).toEqual([base]);
  });

  it('names the allowed methods on a 405', async () => {
    const response = await fetch(`${base}/api/v1/patient/verify-email`, { method: 'PUT' });
    expect(response.headers.get('allow')).toBe('POST, GET');
  });
});
