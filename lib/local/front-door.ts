/**
 * The local front door (`npm start` only; nothing here is deployed: API Gateway has no route for it):
 * GET / says what runs where and links to the inboxes, requests.http and the API reference, which is
 * Redoc rendering the OpenAPI document the server builds. Redoc's browser bundle is served from
 * node_modules (the one @redocly/cli ships, the same package that lints the document): nothing comes
 * from a CDN, and its telemetry is off twice (its option, and a CSP that lets it reach only this server;
 * the CSP also blocks the "API docs by Redocly" logo it would fetch from cdn.redoc.ly, which then hides).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeHtml } from '../escape-html.js';
import { OPENAPI_PATH } from '../http/openapi.js';
import { API_PATHS } from '../http/routes.js';
import type { HttpResponse } from '../http/response.js';

export const FRONT_DOOR_PATH = '/';
export const API_REFERENCE_PATH = '/docs/';
export const REQUESTS_HTTP_PATH = '/requests.http';
const REDOC_PATH = '/docs/redoc.standalone.js';
const REFERENCE_SCRIPT_PATH = '/docs/reference.js';

export interface FrontDoorFacts {
  sesEndpoint: string;
  smsEndpoint: string;
  /** Where the data lives (the banner's line). */
  store: string;
}

/** Redoc's standalone bundle inside @redocly/cli (pinned): a test fails if an upgrade moves it. */
export function redocBundlePath(): string {
  const cli = path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json'));
  return path.join(cli, 'lib', 'chunks', 'redoc.standalone.js');
}

const REQUESTS_HTTP_FILE = fileURLToPath(new URL('../../requests.http', import.meta.url));

/**
 * Only this server's own files; Redoc injects its styles at run time (styled-components), hence
 * 'unsafe-inline' for styles only. connect-src 'self': the document, and nothing leaves this machine.
 */
const DOCS_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:",
  "connect-src 'self'", "worker-src 'self' blob:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');
const PAGE_CSP = ["default-src 'none'", "style-src 'unsafe-inline'", 'img-src data:', "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

const answer = (contentType: string, body: string, csp?: string): HttpResponse => ({
  statusCode: 200,
  headers: {
    'Content-Type': contentType,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(csp && { 'Content-Security-Policy': csp }),
  },
  body,
});

const link = (href: string, text = href) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;

function frontDoorHtml(facts: FrontDoorFacts): string {
  const rows: [string, string, string][] = [
    ['The API (the Lambda handlers)', 'this server, under <code>/api/v1/</code>', `e.g. ${link(API_PATHS.health, `GET ${API_PATHS.health}`)}`],
    ['Email inbox (SES emulator)', link(facts.sesEndpoint), `every mail the service sends; JSON at ${link(`${facts.sesEndpoint}/store`, '/store')}`],
    ['SMS inbox', link(facts.smsEndpoint), `every text; JSON at ${link(`${facts.smsEndpoint}/store`, '/store')}`],
    ['Data', escapeHtml(facts.store), ''],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>Patient registration · npm start</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:52rem;padding:1rem;color:#1f2933}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde2e8;padding:.4rem .5rem;text-align:left;vertical-align:top}
code{background:#f3f5f8;padding:0 .2rem}</style></head>
<body>
<h1>Patient registration, running locally</h1>
<p>This page exists only under <code>npm start</code>; it is never deployed.</p>
<h2>What runs where</h2>
<table><thead><tr><th>what</th><th>where</th><th></th></tr></thead><tbody>
${rows.map(([what, where, note]) => `<tr><td>${what}</td><td>${where}</td><td>${note}</td></tr>`).join('\n')}
</tbody></table>
<h2>Try it</h2>
<ul>
<li>${link(API_REFERENCE_PATH, 'API reference')}: every route, its request schema, answers and examples (Redoc, from the OpenAPI document)</li>
<li>${link(REQUESTS_HTTP_PATH, 'requests.http')}: every route as a ready request (VS Code REST Client, JetBrains HTTP client)</li>
<li>${link(OPENAPI_PATH, 'The OpenAPI 3.1 document')} (JSON), for generators and other viewers</li>
<li>Register: <code>POST ${API_PATHS.register}</code>; the link in the mail opens the verification page</li>
</ul>
</body></html>`;
}

const REFERENCE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>API reference · Patient registration</title></head>
<body><div id="redoc"></div><script type="module" src="${REFERENCE_SCRIPT_PATH}"></script></body></html>`;

const REFERENCE_SCRIPT = `import { init } from '${REDOC_PATH}';
init('${OPENAPI_PATH}', { disableTelemetry: true, hideDownloadButtons: false }, document.getElementById('redoc'));
`;

/** The front door's answers by path (GET only); the Redoc bundle is read from node_modules once, on first use. */
export function frontDoorPages(facts: FrontDoorFacts): ReadonlyMap<string, () => HttpResponse> {
  const once = <T>(make: () => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  return new Map([
    [FRONT_DOOR_PATH, once(() => answer('text/html; charset=utf-8', frontDoorHtml(facts), PAGE_CSP))],
    [API_REFERENCE_PATH, once(() => answer('text/html; charset=utf-8', REFERENCE_HTML, DOCS_CSP))],
    [REFERENCE_SCRIPT_PATH, once(() => answer('text/javascript; charset=utf-8', REFERENCE_SCRIPT))],
    [REDOC_PATH, once(() => answer('text/javascript; charset=utf-8', readFileSync(redocBundlePath(), 'utf8')))],
    [REQUESTS_HTTP_PATH, once(() => answer('text/plain; charset=utf-8', readFileSync(REQUESTS_HTTP_FILE, 'utf8')))],
  ]);
}
