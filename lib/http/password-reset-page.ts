import { createHash } from 'node:crypto';

/**
 * The page behind the link in the password-reset email. Opening it changes nothing (mail scanners
 * prefetch links); its form works two ways, as the verification page's:
 * - without JavaScript, it POSTs `password` and `confirm_password` form-encoded to the page's own
 *   address, token in the query string, and the answer is this page again with the result;
 * - with it, the script POSTs JSON `{token, password, confirm_password}` and shows the message in place.
 * The token is never echoed into the HTML: the form posts to the address bar's URL, the script reads it there.
 */
const script = `
const token = new URLSearchParams(location.search).get('token');
const form = document.getElementById('reset');
const button = document.getElementById('save');
const result = document.getElementById('result');
if (!token) { result.textContent = 'This link is missing its token. Open the link from your email again.'; button.disabled = true; }
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  result.textContent = 'Saving…';
  try {
    const response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, password: form.elements.password.value, confirm_password: form.elements.confirm_password.value }),
    });
    const body = await response.json();
    const details = (body.errors || []).map((e) => e.message).join(' ');
    result.textContent = details ? body.message + ': ' + details : body.message;
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

const FORM = `<form id="reset" method="post">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required maxlength="256">
<label for="confirm_password">New password, again</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required maxlength="256">
<button id="save" type="submit">Set my new password</button>
</form>`;

/** The page; with a result (the no-script form's answer) it shows it, and the form again unless it succeeded. */
export function resetPageHtml(result?: { ok: boolean; message: string }): string {
  const status = result ? `<p id="result" role="status" class="${result.ok ? 'ok' : 'error'}">${escapeHtml(result.message)}</p>` : '<p id="result" role="status" aria-live="polite"></p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Choose a new password</title><style>${style}</style></head>
<body><h1>Choose a new password</h1>
<p>At least 8 characters, with upper and lower case letters, a digit and a symbol. Every device signed in to your account will be signed out.</p>
${result?.ok ? '' : FORM}
${status}
<script>${script}</script></body></html>`;
}

export const RESET_PAGE_HTML = resetPageHtml();

/** CSP for the page: nothing but this exact script and style, requests and form posts back to this origin. */
export const RESET_PAGE_CSP: Record<string, string | false> = {
  'script-src': sha256(script),
  'style-src': sha256(style),
  'connect-src': "'self'",
  'form-action': "'self'",
  'navigate-to': false,
  sandbox: false,
  'upgrade-insecure-requests': false,
};
