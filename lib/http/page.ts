import { createHash } from 'node:crypto';
import { escapeHtml } from '../escape-html.js';

/**
 * The one layout of every page a patient opens from a mail (verify the email, reset the password,
 * ask for a new link). Each is a plain HTML form that POSTs form-encoded to the API and gets the
 * next page back, so it works with JavaScript off; the one script only enhances it (a busy button
 * that cannot post a single-use link twice, the two new passwords compared while typing). The
 * server renders every state, so with or without the script a patient sees the same pages.
 */
export interface PageField {
  name: string;
  label: string;
  type: 'password' | 'email' | 'text';
  autocomplete: string;
  maxLength: number;
}

export interface PageForm {
  id: string;
  /** Relative to the page's address; none: the page's own address, with the link's token in its query. */
  action?: string;
  /** A paragraph at the top of the form. */
  intro?: string;
  fields: readonly PageField[];
  buttonId: string;
  buttonText: string;
  /** What the button says while the post is on its way (script only). */
  busyText: string;
}

export interface PageContent {
  title: string;
  /** What the last post did: a success is green, an error red. */
  result?: { tone: 'ok' | 'error'; message: string };
  /** What to do next, after the result. */
  paragraphs?: readonly string[];
  form?: PageForm;
}

const style = `*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:#1f2933;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}
header{background:#0b3d91;color:#fff;padding:.75rem 1rem}
.service{margin:0 auto;max-width:32rem;font-weight:600}
main{margin:1.5rem auto;max-width:32rem;background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:1.25rem 1.5rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
p{margin:0 0 1rem}
.result{padding:.75rem 1rem;border-radius:6px;border-left:4px solid}
.ok{background:#e7f6ec;border-color:#1a7f37;color:#0f5323}
.error{background:#fdecee;border-color:#c62828;color:#8a1c1c}
form{margin-top:1.25rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{display:block;width:100%;font:inherit;padding:.55rem .65rem;border:1px solid #9aa5b1;border-radius:6px}
input[hidden]{display:none}
input:focus,button:focus{outline:3px solid #8ab4ff;outline-offset:1px}
button{margin-top:1.25rem;font:inherit;font-weight:600;padding:.65rem 1.25rem;border:0;border-radius:6px;background:#0b5fff;color:#fff;cursor:pointer}
button:disabled{background:#7a9cd9;cursor:progress}
@media (max-width:480px){main{margin:0;border:0;border-radius:0}button{width:100%}}`;

const script = `for (const form of document.forms) {
  const button = form.querySelector('button[type="submit"]');
  const label = button.textContent;
  const password = form.elements.namedItem('password');
  const confirm = form.elements.namedItem('confirm_password');
  if (password && confirm) {
    const check = () => confirm.setCustomValidity(confirm.value !== '' && confirm.value !== password.value ? 'Passwords do not match' : '');
    password.addEventListener('input', check);
    confirm.addEventListener('input', check);
  }
  // A disabled button cannot post again: a second click would spend a single-use link twice.
  form.addEventListener('submit', () => { button.disabled = true; button.textContent = form.dataset.busy; });
  // Back on this page from the next one (back/forward cache): the form works again.
  addEventListener('pageshow', (event) => { if (event.persisted) { button.disabled = false; button.textContent = label; } });
}`;

export const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Nothing but this exact script and style, form posts back to this origin only, nothing fetched (the
 * forms post natively). With the headers' defaults: default-src 'none', no framing, no base URI,
 * Trusted Types, and Referrer-Policy no-referrer, so the link's token never leaves in a Referer.
 */
export const PAGE_CSP: Record<string, string | false> = {
  'script-src': sha256(script),
  'style-src': sha256(style),
  'form-action': "'self'",
  // Not a CSP directive browsers know (any more); leaving it in only earns a console warning.
  'navigate-to': false,
  sandbox: false,
  // The local server speaks http; in AWS, API Gateway is https only.
  'upgrade-insecure-requests': false,
};

function formHtml(form: PageForm): string {
  const action = form.action === undefined ? '' : ` action="${escapeHtml(form.action)}"`;
  const inputs = form.fields.map(({ name, label, type, autocomplete, maxLength }) =>
    `<label for="${name}">${escapeHtml(label)}</label>\n<input id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" required maxlength="${maxLength}">`);
  // Password managers file a password under a username: a hidden one, never posted (no name), unless
  // the form asks for the username itself (the passkey page's email).
  const username = form.fields.some((f) => f.type === 'password') && !form.fields.some((f) => f.autocomplete === 'username')
    ? ['<input id="username" type="text" autocomplete="username" hidden aria-hidden="true" tabindex="-1">'] : [];
  return [
    `<form id="${form.id}" method="post"${action} data-busy="${escapeHtml(form.busyText)}">`,
    ...(form.intro ? [`<p id="hint">${escapeHtml(form.intro)}</p>`] : []),
    ...username,
    ...inputs,
    `<button id="${form.buttonId}" type="submit">${escapeHtml(form.buttonText)}</button>`,
    '</form>',
  ].join('\n');
}

/**
 * The page, with `pageScript` as its one script (default: the forms' enhancement above); a page with
 * another script serves it under a CSP naming that script's hash (lib/http/passkey-pages.ts).
 */
export function renderPage(serviceName: string, content: PageContent, pageScript = script): string {
  const { result } = content;
  const parts = [
    `<h1>${escapeHtml(content.title)}</h1>`,
    ...(result ? [`<p id="result" class="result ${result.tone}" role="${result.tone === 'ok' ? 'status' : 'alert'}">${escapeHtml(result.message)}</p>`] : []),
    ...(content.paragraphs ?? []).map((text) => `<p>${escapeHtml(text)}</p>`),
    ...(content.form ? [formHtml(content.form)] : []),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(content.title)} · ${escapeHtml(serviceName)}</title><style>${style}</style></head>
<body>
<header><p class="service">${escapeHtml(serviceName)}</p></header>
<main>
${parts.join('\n')}
</main>
<script>${pageScript}</script>
</body></html>`;
}
