import { createHash } from 'node:crypto';

/**
 * A page behind a link in a mail (verify the email, reset the password). Opening it changes nothing
 * (mail scanners prefetch links); its form works two ways:
 * - without JavaScript, it POSTs its fields form-encoded to the page's own address, token in the
 *   query string, and the answer is the page again with the result (lib/http/html-form.ts);
 * - with it, the script POSTs JSON `{token, …fields}` to the same path and shows the message in place.
 * The token is never echoed into the HTML: the form posts to the address bar's URL, the script reads it there.
 */
export interface TokenFormPage {
  title: string;
  intro: string;
  formId: string;
  buttonId: string;
  buttonText: string;
  /** What the result line says while the script waits. */
  busyText: string;
  fields: readonly { name: string; label: string; autocomplete: string; maxLength: number }[];
}

export interface RenderedTokenFormPage {
  /** The page; with a result (the no-script form's answer) it shows it, and the form again unless it succeeded. */
  html(result?: { ok: boolean; message: string }): string;
  /** CSP: nothing but this exact script and style, requests and form posts back to this origin. */
  csp: Record<string, string | false>;
}

const style = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
label,input{display:block;margin:.4rem 0}input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}
button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}.ok{color:#0a6b2e}.error{color:#a40e26}`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function scriptOf(page: TokenFormPage): string {
  const fields = page.fields.map(({ name }) => `${name}: form.elements.${name}.value`).join(', ');
  return `
const token = new URLSearchParams(location.search).get('token');
const form = document.getElementById('${page.formId}');
const button = document.getElementById('${page.buttonId}');
const result = document.getElementById('result');
if (!token) { result.textContent = 'This link is missing its token. Open the link from your email again.'; button.disabled = true; }
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  result.textContent = '${page.busyText}';
  try {
    const response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, ${fields} }),
    });
    const body = await response.json();
    const details = Object.values(body.errors || {}).flat().join(' ');
    result.textContent = details ? body.message + ': ' + details : body.message;
    result.className = response.ok ? 'ok' : 'error';
    if (response.ok) form.hidden = true;
    else button.disabled = false;
  } catch {
    result.textContent = 'Could not reach the server. Please try again.';
    button.disabled = false;
  }
});`;
}

export function tokenFormPage(page: TokenFormPage): RenderedTokenFormPage {
  const script = scriptOf(page);
  const inputs = page.fields.map(({ name, label, autocomplete, maxLength }) =>
    `<label for="${name}">${label}</label>\n<input id="${name}" name="${name}" type="password" autocomplete="${autocomplete}" required maxlength="${maxLength}">`).join('\n');
  const form = `<form id="${page.formId}" method="post">\n${inputs}\n<button id="${page.buttonId}" type="submit">${page.buttonText}</button>\n</form>`;
  return {
    html(result) {
      const status = result
        ? `<p id="result" role="status" class="${result.ok ? 'ok' : 'error'}">${escapeHtml(result.message)}</p>`
        : '<p id="result" role="status" aria-live="polite"></p>';
      return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${page.title}</title><style>${style}</style></head>
<body><h1>${page.title}</h1>
<p>${page.intro}</p>
${result?.ok ? '' : form}
${status}
<script>${script}</script></body></html>`;
    },
    csp: {
      'script-src': sha256(script),
      'style-src': sha256(style),
      'connect-src': "'self'",
      'form-action': "'self'",
      // Not a CSP directive browsers know (any more); leaving it in only earns a console warning.
      'navigate-to': false,
      sandbox: false,
      'upgrade-insecure-requests': false,
    },
  };
}
