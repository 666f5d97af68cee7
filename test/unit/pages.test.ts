import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DuplicateRegistrationError, GoneEmailMoveLinkError, GoneResetTokenError, GoneTokenError, InvalidEmailMoveLinkError, InvalidResetTokenError, InvalidTokenError, ServiceUnavailableError, SignInLockedError,
  SignInRefusedError, ValidationError, WrongPasswordError,
} from '../../lib/errors.js';
import { PAGE_CSP } from '../../lib/http/page.js';
import { emailMovePages } from '../../lib/http/email-move-page.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';

const SERVICE = 'Riverside Clinic';
const verify = verifyEmailPages(SERVICE);
const reset = passwordResetPages(SERVICE);
const failed = (error: Error & { statusCode: number }) => ({ statusCode: error.statusCode, message: error.message, error });
const text = (html: string) => html.replace(/<script>[\s\S]*?<\/script>|<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
const resultClass = (html: string) => /<p id="result" class="([^"]+)"/.exec(html)?.[1];
const formIds = (html: string) => [...html.matchAll(/<form id="([^"]+)"/g)].map((m) => m[1]);

describe('the verification page, state by state', () => {
  it.each([
    ['verified', { statusCode: 200, message: 'Your email address is verified. You can now sign in.' }, 'result ok', [], 'Email address confirmed'],
    // Used means verified (one transaction): good news, not a red error.
    ['already used', failed(new GoneTokenError('used')), 'result ok', [], 'Email address confirmed'],
    ['expired', failed(new GoneTokenError('expired')), 'result error', ['new-link'], 'This link cannot be used'],
    ['replaced', failed(new GoneTokenError('superseded')), 'result error', ['new-link'], 'This link cannot be used'],
    ['unknown', failed(new InvalidTokenError()), 'result error', ['new-link'], 'This link cannot be used'],
    ['a mangled token', failed(new ValidationError({ token: ['Invalid'] })), 'result error', ['new-link'], 'This link cannot be used'],
    ['a wrong password', failed(new WrongPasswordError()), 'result error', ['verify'], 'Confirm your email address'],
    ['no password', failed(new ValidationError({ password: ['Password is required'] })), 'result error', ['verify'], 'Confirm your email address'],
    ['a locked account', failed(new SignInLockedError(60)), 'result error', ['verify'], 'Confirm your email address'],
    ['an outage', failed(new ServiceUnavailableError('dynamodb')), 'result error', ['verify'], 'Confirm your email address'],
    ['a deactivated account', failed(new SignInRefusedError('inactive')), 'result error', [], 'Confirm your email address'],
  ])('%s: tone, the form that follows, the heading', (_state, result, tone, forms, title) => {
    const html = verify.result(result);
    expect(resultClass(html)).toBe(tone);
    expect(formIds(html)).toEqual(forms);
    expect(html).toContain(`<h1>${title}</h1>`);
    expect(text(html)).toContain(result.message);
  });

  it('a successful verification says what to do next', () => {
    expect(text(verify.result({ statusCode: 200, message: 'ok' }))).toContain(`sign in to ${SERVICE} with your email address and password`);
  });

  it('the new-link form posts the email to resend-verification, and its answer is the same page whatever the address', () => {
    const html = verify.result(failed(new InvalidTokenError()));
    expect(html).toMatch(/<form id="new-link" method="post" action="resend-verification"/);
    expect(html).toMatch(/<input id="email" name="email" type="email" autocomplete="email" required/);
    const sent = verify.newLinkResult({ statusCode: 200, message: 'If an unverified account exists…' });
    expect(resultClass(sent)).toBe('result ok');
    expect(formIds(sent)).toEqual([]);
    expect(text(sent)).toContain('Open the link in the new email within 24 hours');
    const refused = verify.newLinkResult(failed(new ValidationError({ email: ['Email must be a valid email address'] })));
    expect(resultClass(refused)).toBe('result error');
    expect(formIds(refused)).toEqual(['new-link']);
  });

  it('opened without a token, it says the link is invalid and offers a new one', () => {
    const html = verify.missingToken();
    expect(text(html)).toContain(new InvalidTokenError().message);
    expect(formIds(html)).toEqual(['new-link']);
  });
});

describe('the email-move page, state by state (issue 20)', () => {
  const move = emailMovePages(SERVICE);
  it.each([
    ['moved', { statusCode: 200, message: 'Your email address was changed.' }, 'result ok', [], 'Email address changed'],
    // Used means moved (one transaction): good news.
    ['already used', failed(new GoneEmailMoveLinkError('used')), 'result ok', [], 'Email address changed'],
    ['expired', failed(new GoneEmailMoveLinkError('expired')), 'result error', [], 'This link cannot be used'],
    ['replaced', failed(new GoneEmailMoveLinkError('superseded')), 'result error', [], 'This link cannot be used'],
    ['spent by wrong passwords', failed(new GoneEmailMoveLinkError('spent')), 'result error', [], 'This link cannot be used'],
    ['unknown', failed(new InvalidEmailMoveLinkError()), 'result error', [], 'This link cannot be used'],
    ['a wrong password', failed(new WrongPasswordError()), 'result error', ['confirm-email-move'], 'Confirm your new email address'],
    ['an address taken meanwhile', failed(new DuplicateRegistrationError({ email: true, phone: false })), 'result error', [], 'Confirm your new email address'],
    ['a deactivated account', failed(new SignInRefusedError('inactive')), 'result error', [], 'Confirm your new email address'],
  ])('%s: tone, the form that follows, the heading', (_state, result, tone, forms, title) => {
    const html = move.result(result);
    expect(resultClass(html)).toBe(tone);
    expect(formIds(html)).toEqual(forms);
    expect(html).toContain(`<h1>${title}</h1>`);
    expect(text(html)).toContain(result.message);
  });

  it('a link that cannot be used says to sign in and ask again (no form: a new link is asked for signed in)', () => {
    const html = move.result(failed(new GoneEmailMoveLinkError('expired')));
    expect(text(html)).toContain('sign in to the app and ask for the change again');
    expect(formIds(move.missingToken())).toEqual([]);
    expect(text(move.missingToken())).toContain(new InvalidEmailMoveLinkError().message);
  });

  it('opened while usable, the form asks for the account\'s password', () => {
    const html = move.opened('usable');
    expect(formIds(html)).toEqual(['confirm-email-move']);
    expect(html).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password" required/);
  });
});

describe('the reset page, state by state', () => {
  it.each([
    ['reset', { statusCode: 200, message: 'Your password has been changed.' }, 'result ok', [], 'Password changed'],
    ['used', failed(new GoneResetTokenError('used')), 'result error', ['new-link'], 'This link cannot be used'],
    ['replaced', failed(new GoneResetTokenError('superseded')), 'result error', ['new-link'], 'This link cannot be used'],
    ['expired', failed(new GoneResetTokenError('expired')), 'result error', ['new-link'], 'This link cannot be used'],
    ['unknown', failed(new InvalidResetTokenError()), 'result error', ['new-link'], 'This link cannot be used'],
    ['a weak password', failed(new ValidationError({ password: ['Password must contain a number'] })), 'result error', ['reset'], 'Choose a new password'],
  ])('%s: tone, the form that follows, the heading', (_state, result, tone, forms, title) => {
    const html = reset.result(result);
    expect(resultClass(html)).toBe(tone);
    expect(formIds(html)).toEqual(forms);
    expect(html).toContain(`<h1>${title}</h1>`);
  });

  it('the new-link form posts to password/forgot (relative to .../password/reset)', () => {
    expect(reset.missingToken()).toMatch(/<form id="new-link" method="post" action="forgot"/);
    expect(text(reset.newLinkResult({ statusCode: 200, message: 'If an account exists…' }))).toContain('within 30 minutes');
  });
});

describe('every page', () => {
  const pages = [verify.form(), verify.missingToken(), verify.result(failed(new WrongPasswordError())), reset.form(), reset.newLinkResult({ statusCode: 200, message: 'ok' })];

  it('is a plain form post (no action: the page\'s own address with its token) under the service\'s name', () => {
    expect(verify.form()).toMatch(/<form id="verify" method="post" data-busy="Verifying…">/);
    expect(reset.form()).toMatch(/<form id="reset" method="post" data-busy="Saving…">/);
    for (const html of pages) {
      expect(html).toContain(`<header><p class="service">${SERVICE}</p></header>`);
      expect(html).toMatch(new RegExp(`<title>[^<]+ · ${SERVICE}</title>`));
    }
  });

  it('runs only the script and style whose hashes the CSP names; posts only to its own origin; nothing else', () => {
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    for (const html of pages) {
      expect(PAGE_CSP['script-src']).toBe(hash(/<script>([\s\S]*?)<\/script>/.exec(html)![1]!));
      expect(PAGE_CSP['style-src']).toBe(hash(/<style>([\s\S]*?)<\/style>/.exec(html)![1]!));
      expect(html.match(/<script/g)).toHaveLength(1);
      expect(html).not.toMatch(/ style="| on[a-z]+="/); // no inline style or handler attributes: the CSP would block them
    }
    expect(PAGE_CSP['form-action']).toBe("'self'");
    expect(Object.values(PAGE_CSP).join(' ')).not.toMatch(/unsafe|\*/);
    expect(PAGE_CSP['connect-src']).toBeUndefined(); // the forms post natively: default-src 'none' forbids fetch
  });

  it('escapes the service name and every message', () => {
    const html = verifyEmailPages('<b>Clinic</b> & "Co"').result({ statusCode: 401, message: '<img src=x onerror=alert(1)>' });
    expect(html).not.toContain('<b>Clinic');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;b&gt;Clinic&lt;/b&gt; &amp; &quot;Co&quot;');
  });
});
