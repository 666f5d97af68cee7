import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../lib/local/api-server.js';
import { frontDoorPages, redocBundlePath } from '../../lib/local/front-door.js';
import { loadRoutes } from '../../lib/local/routes.js';

/**
 * npm start's front door (issue 22 item 3): GET / says what runs where and every link on it answers;
 * the API reference is Redoc, served from node_modules, rendering the server's OpenAPI document in
 * Debian's Chromium without a single request leaving this machine or a console error.
 */
const CHROMIUM = '/usr/bin/chromium';
const FACTS = { sesEndpoint: 'http://127.0.0.1:18005', smsEndpoint: 'http://127.0.0.1:18006', store: 'DynamoDB http://127.0.0.1:18000 (table patients, in memory)' };

let base: string;
let browser: Browser | undefined;
const server = createApiServer(await loadRoutes(), undefined, { pages: frontDoorPages(FACTS) });
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the front door at /', () => {
  it('answers 200 with HTML naming the inboxes and the store, and links to the reference, requests.http and the document', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    for (const text of [FACTS.sesEndpoint, FACTS.smsEndpoint, FACTS.store, 'href="/docs/"', 'href="/requests.http"', 'href="/api/v1/openapi.json"']) expect(html).toContain(text);
  });

  it('every link on it that points at this server answers 200 (none opens a 405 or 404)', async () => {
    const html = await (await fetch(`${base}/`)).text();
    const local = [...html.matchAll(/href="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(local.length).toBeGreaterThanOrEqual(4);
    for (const href of local) expect((await fetch(`${base}${href}`)).status, href).toBe(200);
  });

  it('serves requests.http as text and refuses a POST to / with 405', async () => {
    const requests = await fetch(`${base}/requests.http`);
    expect(requests.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await requests.text()).toContain('/api/v1/patient/register');
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('Redoc\'s bundle comes from node_modules (the pinned @redocly/cli)', () => {
    expect(existsSync(redocBundlePath())).toBe(true);
  });

  it('renders the API reference in Chromium: every operation listed, nothing fetched off this machine, no console error', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (no browser is ever downloaded).`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const answeredOffMachine: string[] = [];
    const problems: string[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).origin !== base) answeredOffMachine.push(response.url());
    });
    page.on('console', (message) => {
      // Redoc asks cdn.redoc.ly for its "API docs by" logo; the CSP refuses it (the one expected refusal).
      if (message.type() === 'error' && !/cdn\.redoc\.ly\/redoc\/logo[\w-]*\.svg' violates the following Content Security Policy/.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${base}/docs/`);
    await page.getByText(/^Patient registration API \(/).first().waitFor({ timeout: 60_000 });
    await page.getByText('patient', { exact: true }).first().click();
    await page.getByText('Register a patient').first().waitFor({ timeout: 30_000 });
    for (const summary of ['Sign in', 'Change the password (signed in)']) expect(await page.getByText(summary, { exact: true }).count(), summary).toBeGreaterThan(0);
    expect(answeredOffMachine).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);
});
