import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../lib/errors.js';
import { linkPage } from '../../lib/http/html-form.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { newPasswordReset, RESET_TOKEN_LIFETIME_MS } from '../../lib/password/reset-token.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { openLink } from '../../lib/patient/open-link.js';
import type { LinkKind, LinkState } from '../../lib/patient/ports.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { newVerification, TOKEN_LIFETIME_MS } from '../../lib/patient/verification-token.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

const SERVICE = 'Riverside Clinic';
const CONTEXT = { requestId: 'req-1', sourceIp: '198.51.100.7' };
const NEW_PASSWORD = 'Brand-New-Passw0rd!';
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
const text = (html: string) => html.replace(/<script>[\s\S]*?<\/script>|<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
const formIds = (html: string) => [...html.matchAll(/<form id="([^"]+)"/g)].map((m) => m[1]);
const tone = (html: string) => /<p id="result" class="([^"]+)"/.exec(html)?.[1];

/** A registered patient, its email and the token of its verification mail. */
async function registered(deps: FakeDeps) {
  const request = uniqueRegistration() as RegistrationRequest;
  const { patient } = await registerPatient(request, deps);
  await deliverDueMails(deps);
  return { patientId: patient.patient_id, email: request.email, password: request.password, token: tokenOf(deps.mailer.sent.at(-1)!.verifyUrl) };
}

/** A new link of the kind for the patient (a resend, a forgot-password request): the earlier one is superseded. */
async function newLink(deps: FakeDeps, kind: LinkKind, email: string): Promise<string> {
  const contact = (await deps.repository.findPatientByEmail(email))!;
  if (kind === 'verification') {
    const { token, mail } = await newVerification(contact, deps.clock.now(), deps.verifyUrlBase, deps.identifiers);
    expect(await deps.repository.replaceVerificationToken(contact, token, mail)).toBe(true);
    return tokenOf(mail.verifyUrl);
  }
  const { token, mail } = await newPasswordReset(contact, deps.clock.now(), deps.resetUrlBase, deps.identifiers);
  expect(await deps.repository.issueResetToken(token, mail)).toBe(true);
  return tokenOf(mail.resetUrl);
}

/** Using the link as its POST does (the page's form without JavaScript). */
const use = (deps: FakeDeps, kind: LinkKind, token: string, password: string) =>
  kind === 'verification'
    ? verifyEmail({ token, password }, CONTEXT, deps, { startSession: false })
    : resetPassword({ token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);

describe.each(['verification', 'reset'] as const)('opening a %s link', (kind) => {
  /** A patient with a usable link of this kind. */
  async function withLink() {
    const deps = createFakeDeps();
    const patient = await registered(deps);
    const token = kind === 'verification' ? patient.token : await newLink(deps, 'reset', patient.email);
    return { deps, patient, token };
  }

  it('usable: reading it (twice) spends nothing, the POST afterwards works', async () => {
    const { deps, patient, token } = await withLink();
    expect(await openLink(kind, token, deps)).toBe('usable');
    expect(await openLink(kind, token, deps)).toBe('usable');
    await expect(use(deps, kind, token, patient.password)).resolves.toBeUndefined();
    expect(await openLink(kind, token, deps)).toBe('used');
  });

  it('superseded by a newer link, which is usable', async () => {
    const { deps, patient, token } = await withLink();
    const newer = await newLink(deps, kind, patient.email);
    expect(await openLink(kind, token, deps)).toBe('superseded');
    expect(await openLink(kind, newer, deps)).toBe('usable');
  });

  it('expired from the second its lifetime ends, by the use case\'s clock', async () => {
    const { deps, token } = await withLink();
    deps.clock.advance((kind === 'verification' ? TOKEN_LIFETIME_MS : RESET_TOKEN_LIFETIME_MS) - 1000);
    expect(await openLink(kind, token, deps)).toBe('usable');
    deps.clock.advance(1000);
    expect(await openLink(kind, token, deps)).toBe('expired');
  });

  it('unknown: a token never issued, and one the POST\'s schema would refuse (not even read)', async () => {
    const { deps } = await withLink();
    expect(await openLink(kind, 'A'.repeat(43), deps)).toBe('unknown');
    const refusing = { ...deps, repository: { linkState: () => expect.fail('a malformed token is not looked up') } };
    expect(await openLink(kind, 'not a token!', refusing)).toBe('unknown');
    expect(await openLink(kind, 'A'.repeat(129), refusing)).toBe('unknown');
  });
});

describe('the link pages, state by state', () => {
  const verify = verifyEmailPages(SERVICE);
  const reset = passwordResetPages(SERVICE);

  it.each([
    ['verification', 'usable', undefined, ['verify'], 'Confirm your email address', 'enter the password you chose'],
    // Used means verified (one transaction): good news, and what to do next.
    ['verification', 'used', 'result ok', [], 'Email address confirmed', 'This verification link has already been used. Your email address is verified.'],
    ['verification', 'superseded', 'result error', ['new-link'], 'This link cannot be used', 'This verification link was replaced by a newer one.'],
    ['verification', 'expired', 'result error', ['new-link'], 'This link cannot be used', 'This verification link has expired.'],
    ['verification', 'unknown', 'result error', ['new-link'], 'This link cannot be used', 'This verification link is invalid.'],
    ['reset', 'usable', undefined, ['reset'], 'Choose a new password', 'not a common password'],
    // It did its work once (a password was set): news, with a way to a new link.
    ['reset', 'used', 'result ok', ['new-link'], 'This link was already used', 'This password reset link has already been used.'],
    ['reset', 'superseded', 'result error', ['new-link'], 'This link cannot be used', 'This password reset link was replaced by a newer one.'],
    ['reset', 'expired', 'result error', ['new-link'], 'This link cannot be used', 'This password reset link has expired.'],
    ['reset', 'unknown', 'result error', ['new-link'], 'This link cannot be used', 'This password reset link is invalid.'],
  ] as const)('%s link %s: tone, forms, heading, message', (kind, state, expectedTone, forms, title, message) => {
    const html = (kind === 'verification' ? verify : reset).opened(state as LinkState);
    expect(tone(html)).toBe(expectedTone);
    expect(formIds(html)).toEqual(forms);
    expect(html).toContain(`<h1>${title}</h1>`);
    expect(text(html)).toContain(message);
  });

  it('unknown is the page the POST answers for an unknown token', () => {
    const error = new InvalidTokenError();
    expect(verify.opened('unknown')).toBe(verify.result({ statusCode: error.statusCode, message: error.message, error }));
  });
});

describe('the link page handler', () => {
  const page = (stateOf: (token: string) => Promise<LinkState>) => linkPage(verifyEmailPages(SERVICE), stateOf);
  const get = (handler: ReturnType<typeof page>, query?: Record<string, string>) =>
    invoke(handler, apiEvent(undefined, { method: 'GET', path: API_PATHS.verifyEmail, headers: {}, query }));

  it('serves the page of the state the use case read, for the token in the address, under the pages\' CSP', async () => {
    const deps = createFakeDeps();
    const { token, password } = await registered(deps);
    const handler = page((t) => openLink('verification', t, deps));
    const form = await get(handler, { token });
    expect(form.statusCode).toBe(200);
    expect(form.headers['Content-Security-Policy']).toMatch(/script-src 'sha256-/);
    expect(formIds(form.body)).toEqual(['verify']);
    await verifyEmail({ token, password }, CONTEXT, deps, { startSession: false });
    const used = await get(handler, { token });
    expect(used.statusCode).toBe(200);
    expect(text(used.body)).toContain('already been used');
    expect(formIds(used.body)).toEqual([]);
  });

  it('without a token: the 400 page, and no state read', async () => {
    const missing = await get(page(() => expect.fail('nothing to read')));
    expect(missing.statusCode).toBe(400);
    expect(text(missing.body)).toContain('This verification link is invalid.');
  });

  it('when the state cannot be read, the form as before (its POST judges the link)', async () => {
    const handler = page(async () => {
      throw new Error('store down');
    });
    const response = await get(handler, { token: 'A'.repeat(43) });
    expect(response.statusCode).toBe(200);
    expect(formIds(response.body)).toEqual(['verify']);
  });
});
