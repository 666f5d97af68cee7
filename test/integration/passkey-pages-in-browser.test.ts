import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../lib/local/api-server.js';
import { loadRoutes } from '../../lib/local/routes.js';
import { ACR_AAL2 } from '../../lib/auth/assurance.js';
import { mailsTo, tokenFrom } from '../support/local-aws.js';
import { uniqueRegistration } from '../support/requests.js';

/**
 * The passkey pages end to end in Debian's Chromium (playwright-core, no browser download), with the
 * DevTools virtual authenticator standing in for the device (a platform authenticator: internal
 * transport, resident keys, user verification that succeeds): add a passkey on the enrol page, sign
 * out, sign in on the other page with the passkey alone, and find `amr` in the token. WebAuthn needs
 * a secure context whose host can be an RP id: the pages are opened on http://localhost, and the
 * handlers get RP_ID=localhost and that origin before they load.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BROWSING = { timeout: 180_000 };
const SCREENSHOTS = fileURLToPath(new URL('../../.test-results/screenshots/', import.meta.url));

/** At phone and desktop width: nothing sticks out sideways; a screenshot of each for a person to look at. */
async function capture(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `${name} at ${width} px`).toBeLessThanOrEqual(width);
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
  }
}

let base = '';
let browser: Browser | undefined;
let runOutbox: () => Promise<unknown>;
const server = createServer();

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  process.env.RP_ID = 'localhost';
  process.env.WEBAUTHN_ORIGIN = base;
  server.on('request', createApiServer(await loadRoutes()).listeners('request')[0] as RequestListener);
  const outbox = await import('../../functions/outbox-mailer/handler.js');
  runOutbox = () => outbox.handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A registered patient whose email is verified (through the API: the link pages have their own test). */
async function verifiedPatient() {
  const body = uniqueRegistration();
  const registered = await fetch(`${base}/api/v1/patient/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(registered.status).toBe(201);
  await runOutbox();
  const token = tokenFrom((await mailsTo(body.email as string)).at(-1)!);
  const verified = await fetch(`${base}/api/v1/patient/verify-email`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, password: body.password }) });
  expect(verified.status).toBe(200);
  return { email: body.email as string, password: body.password as string };
}

describe('the passkey pages in Chromium with a virtual authenticator', BROWSING, () => {
  it('enrol a passkey, sign out, sign in with the passkey alone (amr hwk + user, AAL2); add another after the password and that passkey (pwd + hwk + user); the CSP blocks nothing of ours', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (.ci/run installs it). No browser is ever downloaded.`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const patient = await verifiedPatient();
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Trusted Type|Permissions.Policy/i.test(message.text())) problems.push(message.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });

    await page.goto(`${base}/api/v1/patient/passkeys/enrol`);
    expect(await page.locator('h1').innerText()).toBe('Add a passkey');
    await page.fill('#email', patient.email);
    await page.fill('#password', patient.password);
    await page.fill('#name', 'Test laptop');
    await page.click('#add-passkey');
    await expect.poll(() => page.locator('#result').innerText().catch(() => ''), { timeout: 60_000 }).toContain('Passkey "Test laptop" added');
    expect(await page.locator('#result').getAttribute('class')).toBe('result ok');
    await capture(page, 'passkey-added');
    // The authenticator now holds one discoverable credential for this RP, bound to the patient.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

    await page.click('#sign-out');
    await expect.poll(() => page.locator('#result').innerText(), { timeout: 30_000 }).toBe('Signed out.');

    await page.goto(`${base}/api/v1/patient/passkeys/sign-in`);
    const answer = page.waitForResponse((response) => response.url().endsWith('/api/v1/patient/login/passkey') && response.request().method() === 'POST');
    await page.click('#sign-in');
    const response = await answer;
    expect(response.status()).toBe(200);
    const { data } = await response.json() as { data: { access_token: string } };
    expect(decodeJwt(data.access_token)).toMatchObject({ amr: ['hwk', 'user'], acr: ACR_AAL2, auth_time: expect.any(Number) });
    await expect.poll(() => page.locator('#result').innerText(), { timeout: 30_000 }).toBe('You are signed in with your passkey.');
    await capture(page, 'passkey-signed-in');
    // The signature counter moved: the virtual authenticator counts its assertions.
    const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(after.credentials[0]!.signCount).toBeGreaterThan(0);

    // Adding another: the page's password sign-in now answers mfa_required (a passkey is held), and the
    // page completes it with that passkey (POST /login/mfa: AAL2, as adding a factor needs). The
    // options of the new one exclude the first, which this one authenticator holds: it is dropped
    // from the authenticator once the AAL2 session asks for them, standing in for a second device.
    await page.goto(`${base}/api/v1/patient/passkeys/enrol`);
    await page.fill('#email', patient.email);
    await page.fill('#password', patient.password);
    await page.fill('#name', 'Second device');
    await page.route(`${base}/api/v1/patient/me/passkeys/options`, async (route) => {
      await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: after.credentials[0]!.credentialId });
      await route.continue();
    });
    const secondStep = page.waitForResponse((r) => r.url().endsWith('/api/v1/patient/login/mfa') && r.request().method() === 'POST');
    await page.click('#add-passkey');
    const mfa = await secondStep;
    expect(mfa.status()).toBe(200);
    const both = (await mfa.json() as { data: { access_token: string } }).data;
    expect(decodeJwt(both.access_token)).toMatchObject({ amr: ['pwd', 'hwk', 'user'], acr: ACR_AAL2 });
    await expect.poll(() => page.locator('#result').innerText().catch(() => ''), { timeout: 60_000 }).toContain('Passkey "Second device" added');
    expect(problems).toEqual([]);
  });
});
