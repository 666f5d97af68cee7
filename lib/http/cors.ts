import type { MiddlewareObj } from '@middy/core';
import type { ApiEvent } from './json-api.js';
import type { HttpResponse } from './response.js';

/**
 * CORS for a front end on another origin. The allowed origins come from CORS_ALLOWED_ORIGINS
 * (comma-separated, read once when a handler module loads, like the rest of the configuration):
 * unset or empty allows none, which is prod's default. Each entry is an exact origin
 * (`https://app.example.com`, `http://localhost:5173`) or, for local development only, any port of a
 * host (`http://localhost:*`, the local stack's default).
 *
 * In AWS, API Gateway answers the preflight (OPTIONS, infra/constructs/patient-api.ts) and the
 * functions add Access-Control-Allow-Origin to their own answers with `corsHeaders()` below: a Lambda
 * proxy response carries only the headers the function sets. Locally, lib/local/api-server.ts answers
 * the preflight with `preflightResponse()` and the same functions add the same headers.
 *
 * Tokens travel in the Authorization header and the body, never in cookies: no Allow-Credentials.
 */
export const CORS_ENV = 'CORS_ALLOWED_ORIGINS';

/** What a browser may send: the JSON body, the access token, the registration's idempotency key, the version a correction is based on. */
export const CORS_ALLOW_HEADERS = ['Content-Type', 'Authorization', 'Idempotency-Key', 'If-Match'] as const;
/** Headers of our answers a script may read besides the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = ['Retry-After', 'WWW-Authenticate', 'ETag'] as const;
/** How long a browser may cache a preflight (Chromium caps it at 2 h). */
export const CORS_MAX_AGE_SECONDS = 600;

const ORIGIN = /^(https?):\/\/([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:(\d{1,5}|\*))?$/;

export type OriginRule = { readonly exact: string } | { readonly anyPortOf: string };

/** Parses one allowed origin; throws (at cold start) on anything that is not an origin. */
export function parseAllowedOrigin(entry: string): OriginRule {
  const match = ORIGIN.exec(entry);
  if (!match || entry.endsWith(':')) {
    throw new Error(`${CORS_ENV}: "${entry}" is not an origin (scheme://host[:port] or scheme://host:*, lower case, no path)`);
  }
  const [, scheme, host, , , , , port] = match;
  if (port === '*') return { anyPortOf: `${scheme}://${host}` };
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new Error(`${CORS_ENV}: "${entry}" has no valid port`);
  return { exact: entry };
}

export function parseAllowedOrigins(value: string | undefined): readonly OriginRule[] {
  return (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '').map(parseAllowedOrigin);
}

/** True when `origin` (the request's Origin header) is one the rules allow. */
export function isOriginAllowed(origin: string | undefined, rules: readonly OriginRule[]): origin is string {
  if (!origin) return false;
  return rules.some((rule) => {
    if ('exact' in rule) return origin === rule.exact;
    if (origin === rule.anyPortOf) return true;
    const port = origin.startsWith(`${rule.anyPortOf}:`) ? origin.slice(rule.anyPortOf.length + 1) : undefined;
    return port !== undefined && /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
  });
}

/** The headers an actual (non-preflight) answer carries for this request's origin. */
export function corsResponseHeaders(origin: string | undefined, rules: readonly OriginRule[]): Record<string, string> {
  if (rules.length === 0) return {};
  // Vary on every answer, allowed or not, so no cache hands one origin's answer to another.
  if (!isOriginAllowed(origin, rules)) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(', '), Vary: 'Origin' };
}

/**
 * The preflight answer (204) for a path whose routes have `methods`: the origin is echoed only when
 * allowed; a refused origin gets the answer without it, and the browser blocks the call.
 */
export function preflightResponse(origin: string | undefined, methods: readonly string[], rules: readonly OriginRule[]): HttpResponse {
  const allowed = isOriginAllowed(origin, rules);
  return {
    statusCode: 204,
    headers: {
      Vary: 'Origin',
      ...(allowed && {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
        'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS.join(', '),
        'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
      }),
    },
    body: '',
  };
}

/**
 * The middleware every JSON chain (lib/http/json-api.ts) uses: adds the CORS headers to the answer,
 * success or error (it runs after the error mapper has set the response).
 */
export function corsHeaders(rules: readonly OriginRule[] = parseAllowedOrigins(process.env[CORS_ENV])): MiddlewareObj {
  const add = async (request: { event: unknown; response?: unknown }) => {
    const response = request.response as HttpResponse | undefined;
    if (!response || rules.length === 0) return;
    // Header names are lower case here: the chain's header normalizer ran first.
    const origin = (request.event as ApiEvent).headers?.origin;
    response.headers = { ...response.headers, ...corsResponseHeaders(origin, rules) };
  };
  return { after: add, onError: add };
}
