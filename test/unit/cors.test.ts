import { afterEach, describe, expect, it } from 'vitest';
import { corsResponseHeaders, isOriginAllowed, parseAllowedOrigins, preflightResponse } from '../../lib/http/cors.js';
import { jsonApi, readApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { ValidationError } from '../../lib/errors.js';
import { apiEvent, lambdaContext } from '../support/requests.js';

const LOCAL = parseAllowedOrigins('http://localhost:*,http://127.0.0.1:*');
const PROD = parseAllowedOrigins('https://app.clinic.example');

describe('allowed origins', () => {
  it.each([
    ['http://localhost:5173', LOCAL, true],
    ['http://localhost:3000', LOCAL, true],
    ['http://localhost', LOCAL, true],
    ['http://127.0.0.1:8080', LOCAL, true],
    // A look-alike host, another scheme, a port that is no port, a path: all refused.
    ['http://localhost.evil.example:5173', LOCAL, false],
    ['https://localhost:5173', LOCAL, false],
    ['http://localhost:99999', LOCAL, false],
    ['http://localhost:5173/x', LOCAL, false],
    ['https://app.clinic.example', PROD, true],
    ['https://app.clinic.example:443', PROD, false],
    ['https://evil.clinic.example', PROD, false],
    ['null', PROD, false],
  ])('%s → %s', (origin, rules, allowed) => {
    expect(isOriginAllowed(origin, rules)).toBe(allowed);
  });

  it('allows none when unset or empty (the prod default)', () => {
    expect(parseAllowedOrigins(undefined)).toEqual([]);
    expect(parseAllowedOrigins(' , ')).toEqual([]);
    expect(corsResponseHeaders('http://localhost:5173', [])).toEqual({});
  });

  it.each(['*', 'localhost:5173', 'https://app.example.com/', 'https://App.example.com', 'http://localhost:0', 'ftp://x.example'])(
    'refuses the setting %s at start',
    (entry) => {
      expect(() => parseAllowedOrigins(entry)).toThrow(/CORS_ALLOWED_ORIGINS/);
    },
  );
});

describe('preflight answer', () => {
  it('echoes an allowed origin with the path\'s methods and the headers a browser may send', () => {
    expect(preflightResponse('http://localhost:5173', ['POST', 'GET'], LOCAL)).toEqual({
      statusCode: 204,
      headers: {
        Vary: 'Origin',
        'Access-Control-Allow-Origin': 'http://localhost:5173',
        'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, Authorization, Idempotency-Key, If-Match',
        'Access-Control-Max-Age': '600',
      },
      body: '',
    });
  });

  it('answers a refused origin without any Access-Control-Allow-* header', () => {
    expect(preflightResponse('https://evil.example', ['POST'], LOCAL)).toEqual({ statusCode: 204, headers: { Vary: 'Origin' }, body: '' });
  });
});

describe('the shared chain adds the header to every answer, success and error', () => {
  const saved = process.env.CORS_ALLOWED_ORIGINS;
  afterEach(() => {
    if (saved === undefined) delete process.env.CORS_ALLOWED_ORIGINS;
    else process.env.CORS_ALLOWED_ORIGINS = saved;
  });
  const withOrigin = (origin: string | undefined, body: unknown = { a: 1 }) =>
    apiEvent(body, { headers: { 'Content-Type': 'application/json', ...(origin && { Origin: origin }) } });

  it.each([
    ['an allowed origin', 'https://app.clinic.example', 'https://app.clinic.example'],
    ['a refused origin', 'https://evil.example', undefined],
    ['no origin (not a browser)', undefined, undefined],
  ])('%s', async (_name, origin, expected) => {
    process.env.CORS_ALLOWED_ORIGINS = 'https://app.clinic.example';
    const ok = jsonApi((b) => b, async () => jsonResponse(201, { success: true }));
    const refused = jsonApi(() => { throw new ValidationError({ email: ['Email is required'] }); }, async () => jsonResponse(200, {}));
    const read = readApi(async () => jsonResponse(200, { success: true }));
    for (const [handler, status] of [[ok, 201], [refused, 422], [read, 200]] as const) {
      const response = await handler(withOrigin(origin), lambdaContext);
      expect(response.statusCode).toBe(status);
      expect(response.headers['Access-Control-Allow-Origin']).toBe(expected);
      expect(response.headers.Vary).toBe('Origin');
      expect(response.headers['Access-Control-Expose-Headers']).toBe(expected && 'Retry-After, WWW-Authenticate, ETag');
    }
  });

  it('adds nothing when no origin is allowed', async () => {
    delete process.env.CORS_ALLOWED_ORIGINS;
    const response = await jsonApi((b) => b, async () => jsonResponse(200, {}))(withOrigin('http://localhost:5173'), lambdaContext);
    expect(Object.keys(response.headers).filter((h) => /^(access-control|vary)/i.test(h))).toEqual([]);
  });

  it('stops a cold start on a malformed setting', () => {
    process.env.CORS_ALLOWED_ORIGINS = 'https://app.clinic.example/';
    expect(() => jsonApi((b) => b, async () => jsonResponse(200, {}))).toThrow(/is not an origin/);
  });
});
