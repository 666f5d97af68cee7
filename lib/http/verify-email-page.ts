import { createHash } from 'node:crypto';

/**
 * The page behind the link in the verification email. Opening it verifies nothing (mail scanners
 * prefetch links). Confirming takes the account's password as well as the link (pre-account
 * hijacking: a link proves only the mailbox), in a form that works two ways:
 * - without JavaScript, the form POSTs `password` form-encoded to the page's own address, token in
 *   the query string, and the answer is this page again with the result (lib/http/verify-email-form.ts);
 * - with it, the script POSTs JSON `{token, password}` and shows the message in place.
 * The token is never echoed into the HTML: the form posts to the address bar's URL, the script reads it there.
 */
const script = `
const token = new URLSearchParams(location.search).get('token');
const form = document.getElementById('verify');
const button = document.getElementById('confirm');
const result = document.getElementById('result');
if (!token) { result.textContent = 'This link is missing its token. Open the link from your email again.'; button.disabled = true; }
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  result.textContent = 'Verifying…';
  try {
    const response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, password: form.elements.password.value }),
    });
    const body = await response.json();
    result.textContent = body.message;
    result.className = response.ok ? 'ok' : 'error';
    if (response.ok) form.hidden = true;
    else button.disabled = false;
  } catch {
    result.textContent = 'Could not reach the server. Please try again.';
    button.disabled = false;
  }
});`;

const style = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
label,input{display:block;margin:.4rem 0}input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}
button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}.ok{color:#0a6b2e}.error{color:#a40e26}`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const FORM = `<form id="verify" method="post">
<label for="password">Your password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<button id="confirm" type="submit">Confirm my email</button>
</form>`;

/** The page; with a result (the no-script form's answer) it shows it, and the form again unless it succeeded. */
export function verifyPageHtml(result?: { ok: boolean; message: string }): string {
  const status = result ? `<p id="result" role="status" class="${result.ok ? 'ok' : 'error'}">${escapeHtml(result.message)}</p>` : '<p id="result" role="status" aria-live="polite"></p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Confirm your email</title><style>${style}</style></head>
<body><h1>Confirm your email address</h1>
<p>Enter the password you chose when you registered to finish verifying your email address.</p>
${result?.ok ? '' : FORM}
${status}
<script>${script}</script></body></html>`;
}

export const VERIFY_PAGE_HTML = verifyPageHtml();

/** CSP for the page: nothing but this exact script and style, requests and form posts back to this origin. */
export const VERIFY_PAGE_CSP: Record<string, string | false> = {
  'script-src': sha256(script),
  'style-src': sha256(style),
  'connect-src': "'self'",
  'form-action': "'self'",
  // Not a CSP directive browsers know (any more); leaving it in only earns a console warning.
  'navigate-to': false,
  sandbox: false,
  'upgrade-insecure-requests': false,
};
