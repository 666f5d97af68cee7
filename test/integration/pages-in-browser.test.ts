import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createApiServer } from '../../lib/local/api-server.js';
import { loadRoutes } from '../../lib/local/routes.js';
import { hashVerificationToken } from '../../lib/patient/verification-token.js';
import { captureOutput } from '../support/capture-output.js';
import { bringLinkNearItsEnd, documentClient, mailsTo, type StoredMail } from '../support/local-aws.js';
import { uniqueRegistration } from '../support/requests.js';

/**
 * What a patient sees, in a real browser: Debian's Chromium, driven by playwright-core (which never
 * downloads a browser), against the local server running the Lambda handlers on DynamoDB Local and
 * the SES emulator. Every page state and every mail is rendered at phone (390 px) and desktop
 * (1280 px) width into .test-results/screenshots/, its visible text is checked, and the forms are
 * submitted with JavaScript off: they must work as plain HTML forms.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const SCREENSHOTS = fileURLToPath(new URL('../../.test-results/screenshots/', import.meta.url));
const WIDTHS = [390, 1280] as const;
const SERVICE = process.env.SERVICE_NAME!;
const PASSWORD = uniqueRegistration().password as string;
const NEW_PASSWORD = 'Brand-New-Passw0rd!';

let launched: Promise<Browser> | undefined;
let base = '';
let runOutbox: () => Promise<unknown>;
const contexts: BrowserContext[] = [];
/** Every link token the browser opened, and the Referer of every form post the server received. */
const tokensSeen = new Set<string>();
const postReferers: (string | undefined)[] = [];
const output = captureOutput();
/** Each test's browsing takes tens of seconds of Chromium and bcrypt on 2 shared cores. */
const BROWSING = { timeout: 180_000 };
/** Content Security Policy reports from every page the test opened: the strict CSP must not block our own script or style. */
const cspViolations: string[] = [];
/** Chromium's complaints about the Permissions-Policy header (a feature name it does not know), and DOM warnings about the forms. */
const headerWarnings: string[] = [];

// The mails' links must point at this server: its port is known once it listens, before the handlers load their configuration.
const server = createServer();
beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.VERIFY_URL_BASE = `${base}/api/v1/patient/verify-email`;
  process.env.RESET_URL_BASE = `${base}/api/v1/patient/password/reset`;
  server.on('request', (req) => {
    if (req.method === 'POST') postReferers.push(req.headers.referer);
  });
  server.on('request', createApiServer(await loadRoutes()).listeners('request')[0] as RequestListener);
  const outbox = await import('../../functions/outbox-mailer/handler.js');
  runOutbox = () => outbox.handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
});

/** The file's one Chromium, started on first use. Without it every test fails saying why (a failure, not a skip). */
function theBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: this test needs Debian's chromium package (apt-get install -y chromium; .ci/run installs it). No browser is ever downloaded.`);
  }
  // launch() starts Chromium with a fresh, throw-away user-data-dir of its own.
  launched ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return launched;
}
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});
afterAll(async () => {
  await (await launched)?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function newPage(javaScript: boolean): Promise<Page> {
  const context = await (await theBrowser()).newContext({ javaScriptEnabled: javaScript, viewport: { width: WIDTHS[0], height: 800 } });
  contexts.push(context);
  return context.newPage();
}

async function openPage(url: string, javaScript: boolean): Promise<Page> {
  const page = await newPage(javaScript);
  const token = new URL(url).searchParams.get('token');
  if (token) tokensSeen.add(token);
  page.on('console', (message) => {
    if (/Content Security Policy|Trusted Type/i.test(message.text())) cspViolations.push(message.text());
    if (/Permissions-Policy|Permissions Policy|\[DOM\]/i.test(message.text())) headerWarnings.push(message.text());
  });
  await page.goto(url);
  return page;
}

/** Screenshots at both widths (nothing may stick out sideways on a phone); the page's visible text. */
async function capture(page: Page, name: string): Promise<string> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `${name} at ${width} px`).toBeLessThanOrEqual(width);
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 800 });
  return page.locator('body').innerText();
}

/** Fills in a form, clicks its submit button and waits for the page that answers the post. */
async function post(page: Page, button: string, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await page.fill(`#${name}`, value);
  await Promise.all([page.waitForEvent('framenavigated'), page.click(button)]);
  await page.waitForLoadState('load');
}

const resultTone = (page: Page) => page.locator('#result').getAttribute('class');

async function registered() {
  const body = uniqueRegistration({ password: PASSWORD, confirm_password: PASSWORD });
  const response = await fetch(`${base}/api/v1/patient/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  // The 201 comes before the mail: the outbox sends it (here the sweep, as it would any missed item).
  await runOutbox();
  return body.email as string;
}

/** The link of a mail, as the patient clicks it (the HTML part's button). */
function linkIn(mail: StoredMail): string {
  const href = /<a href="([^"]+)"/.exec(mail.body.html)?.[1];
  if (!href) throw new Error('no link in the mail');
  return href.replaceAll('&amp;', '&');
}

const verificationLink = async (email: string) => linkIn((await mailsTo(email)).at(-1)!);

async function resetLinkFor(email: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/patient/password/forgot`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
  expect(response.status).toBe(200);
  await runOutbox();
  return linkIn((await mailsTo(email)).filter((m) => m.subject === 'Reset your password').at(-1)!);
}

describe('the verification page in Chromium', BROWSING, () => {
  it('shows the form, refuses a wrong password, verifies with JavaScript off, and opened again says at once it was used', async () => {
    const link = await verificationLink(await registered());
    expect(link.startsWith(`${base}/api/v1/patient/verify-email?token=`)).toBe(true);
    // Opened first elsewhere (a mail scanner's prefetch, a second tab): reading the link's state spends nothing.
    const prefetched = await openPage(link, false);
    expect(await prefetched.locator('#verify').count()).toBe(1);
    const page = await openPage(link, false);

    const form = await capture(page, 'verify-form');
    expect(form).toContain(SERVICE);
    expect(form).toContain('Confirm your email address');
    expect(form).toContain(`To finish your registration with ${SERVICE}, enter the password you chose when you registered.`);
    expect(form).toContain('Your password');
    expect(await page.getByRole('button').innerText()).toBe('Confirm my email');
    // The password manager's username field is there for it alone: never a box on the page.
    expect(await page.locator('#username').count()).toBe(1);
    expect(await page.locator('#username').isVisible()).toBe(false);

    await post(page, '#confirm', { password: 'Someone-elses-passw0rd!' });
    const wrong = await capture(page, 'verify-wrong-password');
    expect(wrong).toContain('The password is not correct. Enter the password you registered with.');
    expect(await resultTone(page)).toBe('result error');
    expect(await page.locator('#verify').count()).toBe(1);

    await post(page, '#confirm', { password: PASSWORD });
    const success = await capture(page, 'verify-success');
    expect(success).toContain('Email address confirmed');
    expect(success).toContain('Your email address is verified. You can now sign in.');
    expect(success).toContain(`You can close this page and sign in to ${SERVICE} with your email address and password.`);
    expect(await resultTone(page)).toBe('result ok');
    expect(await page.locator('form').count()).toBe(0);

    // The same link again (a second click, a second device): on load, before any password, it says
    // it did its work, which is good news.
    const again = await openPage(link, false);
    const used = await capture(again, 'verify-already-used');
    expect(used).toContain('Email address confirmed');
    expect(used).toContain('This verification link has already been used. Your email address is verified.');
    expect(used).toContain('already');
    expect(await resultTone(again)).toBe('result ok');
    expect(await again.locator('form').count()).toBe(0);
  });

  it('with JavaScript on, the enhanced form verifies, and the strict CSP blocks nothing of ours', async () => {
    const page = await openPage(await verificationLink(await registered()), true);
    await post(page, '#confirm', { password: PASSWORD });
    expect(await page.locator('main').innerText()).toContain('Your email address is verified. You can now sign in.');
    expect(cspViolations).toEqual([]);
  });

  it('an unknown link offers a new one; the answer does not tell whether the address is registered', async () => {
    const email = await registered();
    // Said on load: no password asked for a link that cannot work.
    const page = await openPage(`${base}/api/v1/patient/verify-email?token=${'A'.repeat(43)}`, false);
    expect(await page.locator('#verify').count()).toBe(0);
    const invalid = await capture(page, 'verify-invalid');
    expect(invalid).toContain('This link cannot be used');
    expect(invalid).toContain('This verification link is invalid. Request a new verification email.');
    expect(invalid).toContain('Enter the email address you registered with, and we will send you a new verification link.');
    expect(await resultTone(page)).toBe('result error');

    await post(page, '#send-link', { email: email });
    const sent = await capture(page, 'verify-new-link-sent');
    expect(sent).toContain('Check your inbox');
    expect(sent).toContain('If an unverified account exists for this email, a new verification email is on its way.');
    expect(sent).toContain('Open the link in the new email within 24 hours.');
    await runOutbox();
    expect(await mailsTo(email)).toHaveLength(2);

    const unknown = await openPage(`${base}/api/v1/patient/verify-email`, false);
    const missing = await capture(unknown, 'verify-missing-token');
    expect(missing).toContain('This verification link is invalid. Request a new verification email.');
    await post(unknown, '#send-link', { email: uniqueRegistration().email as string });
    expect(await unknown.locator('body').innerText()).toBe(sent);
  });

  it('an expired link says so and offers a new one', async () => {
    const link = await verificationLink(await registered());
    const token = new URL(link).searchParams.get('token')!;
    await documentClient.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: keys.verificationToken(hashVerificationToken(token)),
      UpdateExpression: 'SET expires_at = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 },
    }));
    const page = await openPage(link, false);
    const expired = await capture(page, 'verify-expired');
    expect(expired).toContain('This verification link has expired. Request a new verification email.');
    expect(await page.locator('#new-link').count()).toBe(1);
  });
});

describe('the password reset page in Chromium', BROWSING, () => {
  it('refuses a weak password, checks the two passwords while typing (JavaScript on), resets with JavaScript off; a replaced link offers a new one', async () => {
    const email = await registered();
    const replaced = await resetLinkFor(email);
    await bringLinkNearItsEnd(email, 'reset'); // a live link would be sent again, not replaced
    const link = await resetLinkFor(email);
    const page = await openPage(link, false);

    const form = await capture(page, 'reset-form');
    expect(form).toContain(SERVICE);
    expect(form).toContain('Choose a new password');
    expect(form).toContain('New password, again');
    expect(await page.getByRole('button').innerText()).toBe('Set my new password');

    // Every rule up front, the common-password list included, and a username for password managers.
    expect(form).toContain('not a common password');
    expect(await page.locator('#reset input[autocomplete="username"]').count()).toBe(1);

    await post(page, '#save', { password: 'short', confirm_password: 'short' });
    const weak = await capture(page, 'reset-weak-password');
    expect(weak).toContain('Password must contain at least 8 characters');
    expect(await resultTone(page)).toBe('result error');
    expect(weak).toContain('not a common password'); // the hint stays beside the error

    const enhanced = await openPage(link, true);
    await enhanced.fill('#password', NEW_PASSWORD);
    await enhanced.fill('#confirm_password', `${NEW_PASSWORD}x`);
    await enhanced.click('#save');
    expect(await enhanced.evaluate<string>("document.getElementById('confirm_password').validationMessage")).toBe('Passwords do not match');
    expect(await enhanced.locator('#result').count()).toBe(0); // nothing was posted

    await post(page, '#save', { password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    const success = await capture(page, 'reset-success');
    expect(success).toContain('Password changed');
    expect(success).toContain('Your password has been changed. You can now sign in with it.');
    expect(success).toContain(`Sign in to ${SERVICE} with your new password.`);
    expect(await resultTone(page)).toBe('result ok');
    const reopened = await capture(await openPage(link, false), 'reset-already-used');
    expect(reopened).toContain('This link was already used');
    expect(reopened).toContain('This password reset link has already been used.');
    const signIn = await fetch(`${base}/api/v1/patient/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: NEW_PASSWORD }) });
    expect(signIn.status).toBe(200);

    // The replaced link says so on load, before a new password is typed.
    const old = await openPage(replaced, false);
    const superseded = await capture(old, 'reset-replaced');
    expect(superseded).toContain('This link cannot be used');
    expect(superseded).toContain('This password reset link was replaced by a newer one. Use the link in the most recent email.');
    expect(await old.locator('#new-link').count()).toBe(1);
    expect(cspViolations).toEqual([]);
  });

  it('an unknown link offers a new one (to password/forgot), with the answer that reveals no account', async () => {
    const page = await openPage(`${base}/api/v1/patient/password/reset?token=${'B'.repeat(43)}`, false);
    expect(await page.locator('#reset').count()).toBe(0);
    const invalid = await capture(page, 'reset-invalid');
    expect(invalid).toContain('This password reset link is invalid. Request a new password reset email.');
    expect(invalid).toContain('Enter the email address of your account, and we will send you a new password reset link.');

    await post(page, '#send-link', { email: uniqueRegistration().email as string });
    const sent = await capture(page, 'reset-new-link-sent');
    expect(new URL(page.url()).pathname).toBe('/api/v1/patient/password/forgot');
    expect(sent).toContain('Check your inbox');
    expect(sent).toContain('If an account exists for this email, a password reset email is on its way.');
  });
});

describe('the mails in Chromium', BROWSING, () => {
  it.each([
    ['verification', 'Confirm your email address', 'Confirm my email'],
    ['password-reset', 'Reset your password', 'Choose a new password'],
    ['password-changed', 'Your password was changed', undefined],
  ] as const)('the %s mail comes from the service by name, reads in a sans-serif layout, and its HTML says what its text part says', async (name, subject, button) => {
    const email = await registered();
    if (name !== 'verification') {
      const link = await resetLinkFor(email);
      if (name === 'password-changed') {
        const page = await openPage(link, false);
        await post(page, '#save', { password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
        await runOutbox();
      }
    }
    const mail = (await mailsTo(email)).filter((m) => m.subject === subject).at(-1)!;
    expect(mail.from).toBe(`"${SERVICE}" <no-reply@clinic.test>`);

    const page = await newPage(false);
    await page.setContent(mail.body.html);
    const visible = await capture(page, `mail-${name}`);
    // Every paragraph of the plain part is in the HTML part; its link line is the button and the link under it.
    for (const paragraph of mail.body.text.split('\n\n')) {
      for (const line of paragraph.split('\n').map((l) => l.replace(/:$/, '').replace(/^-- $/, '').trim()).filter(Boolean)) {
        expect(visible, `"${line}" of the text part`).toContain(line);
      }
    }
    expect(visible).toContain(SERVICE);
    if (button) expect(await page.getByRole('link', { name: button }).count()).toBe(1);
    else expect(await page.getByRole('link').count()).toBe(0);
    // The font of the cell holding the mail's text (the innermost one with the greeting).
    const font = await page.evaluate<string>("getComputedStyle([...document.querySelectorAll('td')].filter((td) => td.textContent.includes('Hello')).at(-1)).fontFamily");
    expect(font).toMatch(/sans-serif$/);
  });
});

describe('the local SMS inbox in Chromium', BROWSING, () => {
  it('fits a 390 px phone, with a long text in it', async () => {
    const inbox = inject('smsEndpoint');
    const sent = await fetch(inbox, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'PinpointSMSVoiceV2.SendTextMessage' },
      body: JSON.stringify({ DestinationPhoneNumber: '+14155552671', OriginationIdentity: 'PatientPortal', MessageBody: `Your code is 123456. ${'x'.repeat(200)}` }),
    });
    expect(sent.status).toBe(200);
    const page = await openPage(inbox, false);
    expect(await capture(page, 'sms-inbox')).toContain('Your code is 123456.');
  });
});

describe('what the browsing left behind', () => {
  it('Chromium complained about no header and no form (Permissions-Policy names it knows, a username for every password form)', () => {
    expect(headerWarnings).toEqual([]);
  });

  it('no link token reached a log line, and no form post carried a Referer (the token is in the page address)', () => {
    expect(tokensSeen.size).toBeGreaterThanOrEqual(6);
    // Links that cannot be used say so on load, so fewer posts than pages.
    expect(postReferers.length).toBeGreaterThanOrEqual(8);
    expect(postReferers.filter((referer) => referer !== undefined)).toEqual([]);
    const logs = output.text();
    expect(logs).toContain('email verification'); // the capture works
    for (const token of tokensSeen) expect(logs).not.toContain(token);
  });
});
