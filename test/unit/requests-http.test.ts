import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from '../../lib/http/openapi.js';
import { ALL_API_ROUTES, API_ROUTES } from '../../lib/http/routes.js';
import { routesForPath } from '../../lib/local/api-server.js';
import { SPEC_EXAMPLE } from '../support/requests.js';

/** requests.http at the repository root (VS Code REST Client / JetBrains HTTP Client format). */
const text = readFileSync(new URL('../../requests.http', import.meta.url), 'utf8');
const variables = Object.fromEntries([...text.matchAll(/^@(\w+) = (.*)$/gm)].map(([, name, value]) => [name!, value!.trim()]));
const substitute = (s: string) => s.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
  if (!(name in variables)) throw new Error(`requests.http uses {{${name}}} but defines no @${name}`);
  return variables[name]!;
});

interface HttpRequest { method: string; path: string; headers: Record<string, string>; body?: string }

/** Requests are separated by `###`; each is a request line, headers, a blank line and an optional body. */
const requests: HttpRequest[] = text.split(/^###.*$/m).slice(1).map((block) => {
  const lines = block.split('\n').filter((l) => !l.startsWith('#')).join('\n').trim().split('\n');
  const [method, url] = lines[0]!.split(' ') as [string, string];
  const blank = lines.indexOf('');
  const headerLines = lines.slice(1, blank === -1 ? undefined : blank);
  const headers = Object.fromEntries(headerLines.map((h) => h.split(/:\s*/, 2) as [string, string]));
  const body = blank === -1 ? undefined : lines.slice(blank + 1).join('\n').trim() || undefined;
  return { method, path: new URL(substitute(url)).pathname, headers, body };
});
/** `METHOD /path`, a request's path as the route it reaches names it (`/me/sessions/{id}`, not the pasted id). */
const key = (r: { method: string; path: string }) => {
  const route = routesForPath(ALL_API_ROUTES, r.path).onPath.find((q) => q.method === r.method);
  return `${r.method} ${route?.path ?? r.path}`;
};

describe('requests.http', () => {
  it('has every route of the route table (and the OpenAPI document), and no other request', () => {
    expect(requests.map(key).sort()).toEqual([...ALL_API_ROUTES.map(key), `GET ${OPENAPI_PATH}`].sort());
  });

  it('goes in the order a newcomer tries them', () => {
    const order = [
      API_ROUTES.register, API_ROUTES.verifyEmail, API_ROUTES.login, API_ROUTES.me, API_ROUTES.tokenRefresh, API_ROUTES.phoneVerification,
      API_ROUTES.phoneVerify, API_ROUTES.passwordForgot, API_ROUTES.passwordReset, API_ROUTES.passwordChange, API_ROUTES.logout, API_ROUTES.meClose,
    ].map((r) => requests.findIndex((q) => key(q) === key(r)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('registers with the specification\'s example request', () => {
    const register = requests.find((r) => key(r) === key(API_ROUTES.register))!;
    expect(JSON.parse(substitute(register.body!))).toEqual(SPEC_EXAMPLE);
  });

  it('sends JSON with its Content-Type, a bearer token where the route wants one, and defines every variable it uses', () => {
    const bearer = new Set([
      API_ROUTES.me, API_ROUTES.meUpdate, API_ROUTES.meClose, API_ROUTES.logout, API_ROUTES.passwordChange, API_ROUTES.phoneVerification, API_ROUTES.phoneVerify,
      API_ROUTES.meSessions, API_ROUTES.meSessionEnd, API_ROUTES.meSessionsRevokeOthers, API_ROUTES.passkeyEnrolOptions, API_ROUTES.passkeyEnrol, API_ROUTES.passkeyList, API_ROUTES.passkeyRemove, API_ROUTES.meTotp, API_ROUTES.meTotpConfirm, API_ROUTES.meTotpRemove, API_ROUTES.meEmail, API_ROUTES.meEmailConfirm, API_ROUTES.mePhone, API_ROUTES.mePhoneVerify, API_ROUTES.meExport,
    ].map(key));
    for (const request of requests) {
      if (request.body) {
        // JSON, or a JSON Merge Patch (RFC 7396) where the route takes one.
        expect(request.headers['Content-Type'], key(request)).toBe(request.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
        expect(() => JSON.parse(substitute(request.body!)), key(request)).not.toThrow();
      }
      expect(request.headers.Authorization !== undefined, key(request)).toBe(bearer.has(key(request)));
    }
    expect(() => substitute(text)).not.toThrow();
  });
});
