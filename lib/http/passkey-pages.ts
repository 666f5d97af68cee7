import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { lambdaLogContext } from '../logging/lambda-context.js';
import { errorMapper } from './error-mapper.js';
import { htmlPage } from './html-form.js';
import { answerBeforeDeadline, type ApiEvent } from './json-api.js';
import { PAGE_CSP, renderPage, sha256, type PageContent } from './page.js';
import type { HttpResponse } from './response.js';
import { PASSKEY_PERMISSIONS_POLICY, securityHeaders } from './security-headers.js';

/**
 * The two passkey pages (issue 21): add a passkey (after signing in with the password on the page,
 * which is also the recent sign-in adding a factor needs; a patient who holds a passkey already
 * completes that sign-in with one, POST /login/mfa, since adding another needs AAL2) and sign in with one. WebAuthn is a
 * browser API, so unlike the link pages these need their script; it calls the JSON API beside them
 * with relative paths (so the same page works under API Gateway's stage prefix) and keeps the
 * tokens in memory only. Without JavaScript the page says so. The browser's own
 * `PublicKeyCredential.parse…OptionsFromJSON` and `credential.toJSON()` do the base64url work, so no
 * library is served.
 */
const script = `const form = document.forms[0];
const button = form.querySelector('button[type="submit"]');
const label = button.textContent;
let session;
const say = (tone, text) => {
  let p = document.getElementById('result');
  if (!p) { p = document.createElement('p'); p.id = 'result'; form.before(p); }
  p.className = 'result ' + tone;
  p.setAttribute('role', tone === 'ok' ? 'status' : 'alert');
  p.textContent = text;
};
const call = async (path, body, token) => {
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const response = await fetch(path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.message || 'The request failed. Please try again.');
  return answer.data;
};
const signOut = document.createElement('button');
signOut.type = 'button';
signOut.id = 'sign-out';
signOut.textContent = 'Sign out';
signOut.hidden = true;
form.after(signOut);
signOut.addEventListener('click', async () => {
  try {
    await call('../logout', { refresh_token: session.refresh_token }, session.access_token);
    session = undefined;
    signOut.hidden = true;
    say('ok', 'Signed out.');
  } catch (error) { say('error', error.message); }
});
if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
  say('error', 'This browser cannot use passkeys. Update it, or sign in with your password.');
  button.disabled = true;
}
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  button.textContent = form.dataset.busy;
  try {
    if (form.id === 'passkey-enrol') {
      let signedIn = await call('../login', { email: form.elements.namedItem('email').value, password: form.elements.namedItem('password').value });
      if (signedIn.mfa_required) {
        // A passkey held already: the password's second step is one of them (the options list the patient's own).
        if (!signedIn.passkey_options) throw new Error('Your account asks for the code from your authenticator app, which this page cannot take. Sign in with a passkey or in the app instead.');
        const own = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(signedIn.passkey_options) });
        signedIn = await call('../login/mfa', { mfa_token: signedIn.mfa_token, response: own.toJSON() });
      }
      session = signedIn;
      const options = await call('../me/passkeys/options', undefined, signedIn.access_token);
      const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      const name = form.elements.namedItem('name').value.trim();
      const added = await call('../me/passkeys', name ? { response: credential.toJSON(), name } : { response: credential.toJSON() }, signedIn.access_token);
      say('ok', 'Passkey "' + added.passkey.name + '" added. Next time, sign in with it.');
    } else {
      const options = await call('../login/passkey/options');
      const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      session = await call('../login/passkey', { response: credential.toJSON() });
      say('ok', 'You are signed in with your passkey.');
    }
  } catch (error) {
    say('error', error.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out. Please try again.' : error.message);
  } finally {
    button.disabled = false;
    button.textContent = label;
    signOut.hidden = !session;
  }
});`;

/** The link pages' CSP, with this script's hash, and fetch() to this origin only (the API beside the page). */
export const PASSKEY_PAGE_CSP: Record<string, string | false> = { ...PAGE_CSP, 'script-src': sha256(script), 'connect-src': "'self'" };

const NO_SCRIPT = 'Passkeys need JavaScript: turn it on for this page, or sign in with your password.';

const ENROL_PAGE: PageContent = {
  title: 'Add a passkey',
  paragraphs: [
    'A passkey signs you in with your device\'s fingerprint, face or PIN instead of your password, and cannot be phished.',
    NO_SCRIPT,
  ],
  form: {
    id: 'passkey-enrol',
    intro: 'Confirm it is you with your email and password, then follow your device\'s prompt.',
    fields: [
      { name: 'email', label: 'Email address', type: 'email', autocomplete: 'username', maxLength: 254 },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', maxLength: 256 },
      { name: 'name', label: 'A name for this passkey (optional)', type: 'text', autocomplete: 'off', maxLength: 64 },
    ],
    buttonId: 'add-passkey',
    buttonText: 'Add a passkey',
    busyText: 'Waiting for your device…',
  },
};

const SIGN_IN_PAGE: PageContent = {
  title: 'Sign in with a passkey',
  paragraphs: [NO_SCRIPT],
  form: {
    id: 'passkey-sign-in',
    intro: 'Your device offers the passkeys you saved for this site.',
    fields: [],
    buttonId: 'sign-in',
    buttonText: 'Sign in with a passkey',
    busyText: 'Waiting for your device…',
  },
};

/** The "needs JavaScript" paragraph shows only where no script runs. */
const render = (serviceName: string, content: PageContent) =>
  renderPage(serviceName, content, script).replace(`<p>${NO_SCRIPT}</p>`, `<noscript><p>${NO_SCRIPT}</p></noscript>`);

/** GET of a passkey page: the same HTML every time (rendered once per cold start), under its CSP. */
function passkeyPage(html: string) {
  return middy<ApiEvent, HttpResponse>(answerBeforeDeadline)
    .use(lambdaLogContext())
    .use(httpHeaderNormalizer())
    .use(securityHeaders(PASSKEY_PAGE_CSP, PASSKEY_PERMISSIONS_POLICY))
    .use(errorMapper())
    .handler(async () => htmlPage(200, html));
}

export const passkeyEnrolPage = (serviceName: string) => passkeyPage(render(serviceName, ENROL_PAGE));
export const passkeySignInPage = (serviceName: string) => passkeyPage(render(serviceName, SIGN_IN_PAGE));
