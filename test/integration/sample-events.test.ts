import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { handler as register } from '../../functions/register/handler.js';
import { handler as resend, RESEND_ANSWER } from '../../functions/resend-verification/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as verifyPage } from '../../functions/verify-email-page/handler.js';
import { handler as login } from '../../functions/login/handler.js';
import { handler as refresh } from '../../functions/token-refresh/handler.js';
import { handler as logout } from '../../functions/logout/handler.js';
import { handler as me } from '../../functions/me/handler.js';
import { handler as meSessions } from '../../functions/me-sessions/handler.js';
import { handler as meSessionEnd } from '../../functions/me-session-end/handler.js';
import { handler as meSessionsRevokeOthers } from '../../functions/me-sessions-revoke-others/handler.js';
import { handler as meExport } from '../../functions/me-export/handler.js';
import { handler as phoneVerification } from '../../functions/phone-verification/handler.js';
import { handler as phoneVerify } from '../../functions/phone-verify/handler.js';
import { handler as phoneClaim, PHONE_CLAIM_ANSWER } from '../../functions/phone-claim/handler.js';
import { handler as passwordForgot, FORGOT_ANSWER } from '../../functions/password-forgot/handler.js';
import { handler as passwordReset } from '../../functions/password-reset/handler.js';
import { handler as passwordResetPage } from '../../functions/password-reset-page/handler.js';
import { handler as passwordChange } from '../../functions/password-change/handler.js';
import { handler as meClose } from '../../functions/me-close/handler.js';
import { handler as meEmail } from '../../functions/me-email/handler.js';
import { handler as meEmailConfirm } from '../../functions/me-email-confirm/handler.js';
import { handler as meEmailConfirmPage } from '../../functions/me-email-confirm-page/handler.js';
import { handler as mePhone } from '../../functions/me-phone/handler.js';
import { handler as mePhoneVerify } from '../../functions/me-phone-verify/handler.js';
import { handler as meTotp } from '../../functions/me-totp/handler.js';
import { handler as meTotpConfirm } from '../../functions/me-totp-confirm/handler.js';
import { handler as meTotpRemove } from '../../functions/me-totp-remove/handler.js';
import { handler as loginMfa } from '../../functions/login-mfa/handler.js';
import { handler as health } from '../../functions/health/handler.js';
import { handler as jwks } from '../../functions/jwks/handler.js';
import { handler as passkeyEnrolOptions } from '../../functions/passkey-enrol-options/handler.js';
import { handler as passkeyEnrol } from '../../functions/passkey-enrol/handler.js';
import { handler as passkeyList } from '../../functions/passkey-list/handler.js';
import { handler as passkeyRemove } from '../../functions/passkey-remove/handler.js';
import { handler as passkeyLoginOptions } from '../../functions/passkey-login-options/handler.js';
import { handler as passkeyLogin } from '../../functions/passkey-login/handler.js';
import { handler as passkeyEnrolPage } from '../../functions/passkey-enrol-page/handler.js';
import { handler as passkeySignInPage } from '../../functions/passkey-sign-in-page/handler.js';
import { lambdaContext } from '../support/requests.js';

/** The events/ files that `sam local invoke` feeds the functions, run through the same handlers here. */
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));

describe('sample API Gateway REST events pass through the handlers', () => {
  it('events/register.json registers the spec example', async () => {
    const response = await register(load('register'), lambdaContext);
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body).data).toMatchObject({ email: 'jane.smith@email.com', phone_number: '+1234567890' });
  });

  it('events/verify-email.json reaches the use case (its placeholder token is unknown: 400)', async () => {
    const response = await verify(load('verify-email'), lambdaContext);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/invalid/);
  });

  it('events/login.json reaches the use case (the spec example is not registered and verified here: 401 or 403)', async () => {
    const response = await login(load('login'), lambdaContext);
    expect([401, 403]).toContain(response.statusCode);
  });

  it('events/login-mfa.json reaches the use case (its placeholder mfa_token is unknown: 401)', async () => {
    const response = await loginMfa(load('login-mfa'), lambdaContext);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).message).toMatch(/^This sign-in has expired or was completed already/);
  });

  it('events/token-refresh.json reaches the use case (its placeholder token is unknown: 401)', async () => {
    const response = await refresh(load('token-refresh'), lambdaContext);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).message).toBe('Invalid or expired refresh token');
  });

  it.each([['logout', logout], ['me', me], ['phone-verification', phoneVerification], ['phone-verify', phoneVerify],
    ['me-sessions', meSessions], ['me-session-end', meSessionEnd], ['me-sessions-revoke-others', meSessionsRevokeOthers],
    ['me-export', meExport], ['me-totp', meTotp], ['me-totp-confirm', meTotpConfirm], ['me-totp-remove', meTotpRemove],
    ['passkey-enrol-options', passkeyEnrolOptions], ['passkey-enrol', passkeyEnrol], ['passkey-list', passkeyList], ['passkey-remove', passkeyRemove]] as const)('events/%s.json reaches the token check (its placeholder token is refused: 401)', async (name, handler) => {
    const response = await handler(load(name), lambdaContext);
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('events/passkey-login-options.json gets request options (a fresh challenge, user verification required)', async () => {
    const response = await passkeyLoginOptions(load('passkey-login-options'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).data).toMatchObject({ challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), userVerification: 'required' });
  });

  it('events/passkey-login.json reaches the use case (its placeholder answer names no challenge: 401)', async () => {
    const response = await passkeyLogin(load('passkey-login'), lambdaContext);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).message).toMatch(/passkey was not accepted/);
  });

  it.each([['passkey-enrol-page', passkeyEnrolPage, 'Add a passkey'], ['passkey-sign-in-page', passkeySignInPage, 'Sign in with a passkey']] as const)(
    'events/%s.json serves the page under its CSP (its one script pinned by hash, fetch to this origin only)', async (name, handler, title) => {
      const response = await handler(load(name), lambdaContext);
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain(`<h1>${title}</h1>`);
      expect(response.headers?.['Content-Security-Policy']).toMatch(/script-src 'sha256-[^']+'.*connect-src 'self'|connect-src 'self'.*script-src 'sha256-/);
      expect(response.headers?.['Permissions-Policy']).toContain('publickey-credentials-get=(self)');
    });

  it('events/verify-email-page.json serves the page (its placeholder token is unknown: the page says so and offers a new link)', async () => {
    const response = await verifyPage(load('verify-email-page'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('This verification link is invalid.');
    expect(response.body).toContain('Send me a new link');
  });

  it('events/resend-verification.json gets the standard answer (200, whether or not the address is registered)', async () => {
    const response = await resend(load('resend-verification'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ success: true, message: RESEND_ANSWER });
  });
});

describe('the sample phone-claim event passes through its handler (issue 19 item 4)', () => {
  it('events/phone-claim.json gets the standard answer (202, whatever the number\'s state)', async () => {
    const response = await phoneClaim(load('phone-claim'), lambdaContext);
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ success: true, message: PHONE_CLAIM_ANSWER });
  });
});

describe('sample password events pass through the handlers', () => {
  it('events/password-forgot.json gets the standard answer (200, whether or not the address is registered)', async () => {
    const response = await passwordForgot(load('password-forgot'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ success: true, message: FORGOT_ANSWER });
  });

  it('events/password-reset.json reaches the use case (its placeholder token is unknown: 400)', async () => {
    const response = await passwordReset(load('password-reset'), lambdaContext);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/reset link is invalid/);
  });

  it('events/password-reset-page.json serves the page (its placeholder token is unknown: the page says so and offers a new link)', async () => {
    const response = await passwordResetPage(load('password-reset-page'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('This password reset link is invalid.');
    expect(response.body).toContain('Send me a new link');
  });

  it('events/password-change.json reaches the token check (its placeholder token is refused: 401)', async () => {
    const response = await passwordChange(load('password-change'), lambdaContext);
    expect(response.statusCode).toBe(401);
  });

  it.each([['me-email', meEmail], ['me-email-confirm', meEmailConfirm], ['me-phone', mePhone], ['me-phone-verify', mePhoneVerify]] as const)('events/%s.json reaches the token check (its placeholder token is refused: 401)', async (name, handler) => {
    const response = await handler(load(name), lambdaContext);
    expect(response.statusCode).toBe(401);
  });

  it('events/me-email-confirm-page.json serves the page (its placeholder token is unknown: the page says so)', async () => {
    const response = await meEmailConfirmPage(load('me-email-confirm-page'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('This email change link is invalid.');
  });

  it('events/me-close.json reaches the token check (its placeholder token is refused: 401)', async () => {
    const response = await meClose(load('me-close'), lambdaContext);
    expect(response.statusCode).toBe(401);
  });

  it('events/health.json (a load balancer\'s probe) answers 200', async () => {
    const response = await health(load('health'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ success: true, message: 'OK', data: { status: 'ok' } });
  });

  it('events/jwks.json (a verifier fetching the keys) answers 200 with a JWK Set of public keys', async () => {
    const response = await jwks(load('jwks'), lambdaContext);
    expect(response.statusCode).toBe(200);
    const { keys } = JSON.parse(response.body);
    expect(keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })]);
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('sample outbox-mailer events pass through the handler', () => {
  it('events/outbox-mailer-stream.json: a mail id that is not in the outbox is not due, and no record fails', async () => {
    await expect(outboxMailer(load('outbox-mailer-stream'))).resolves.toEqual({ batchItemFailures: [] });
  });

  it('events/outbox-mailer-schedule.json runs a sweep', async () => {
    await expect(outboxMailer(load('outbox-mailer-schedule'))).resolves.toBeUndefined();
  });
});
