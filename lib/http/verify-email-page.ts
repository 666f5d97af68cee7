import { createHash } from 'node:crypto';

/**
 * The page behind the link in the verification email. Opening it does not verify anything (mail
 * scanners prefetch links); the button POSTs the token to the JSON endpoint at the same path.
 * The token is read from the address bar by the script and never echoed into the HTML.
 */
const script = `
const token = new URLSearchParams(location.search).get('token');
const button = document.getElementById('confirm');
const result = document.getElementById('result');
if (!token) { result.textContent = 'This link is missing its token. Open the link from your email again.'; button.disabled = true; }
button.addEventListener('click', async () => {
  button.disabled = true;
  result.textContent = 'Verifying…';
  try {
    const response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    const body = await response.json();
    result.textContent = body.message;
    result.className = response.ok ? 'ok' : 'error';
  } catch {
    result.textContent = 'Could not reach the server. Please try again.';
    button.disabled = false;
  }
});`;

const style = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}.ok{color:#0a6b2e}.error{color:#a40e26}`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const VERIFY_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Confirm your email</title><style>${style}</style></head>
<body><h1>Confirm your email address</h1>
<p>Press the button to finish verifying your email address.</p>
<button id="confirm" type="button">Confirm my email</button>
<p id="result" role="status" aria-live="polite"></p>
<script>${script}</script></body></html>`;

/** CSP for the page: nothing but this exact script and style, and requests back to this origin. */
export const VERIFY_PAGE_CSP: Record<string, string | false> = {
  'script-src': sha256(script),
  'style-src': sha256(style),
  'connect-src': "'self'",
  // Not a CSP directive browsers know (any more); leaving it in only earns a console warning.
  'navigate-to': false,
  sandbox: false,
  'upgrade-insecure-requests': false,
};
