import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, matchPath, routesForPath, type LocalRoute } from '../../lib/local/api-server.js';
import { ALL_API_ROUTES, API_PATHS, API_ROUTES } from '../../lib/http/routes.js';

/** API Gateway's `{name}` path parameters, as the local server must give them to the handlers. */
describe('path parameters', () => {
  it.each([
    ['/a/{id}', '/a/42', { id: '42' }],
    ['/a/{id}/b', '/a/x-y/b', { id: 'x-y' }],
    ['/a/b', '/a/b', {}],
  ])('%s matches %s', (template, path, params) => {
    expect(matchPath(template, path)).toEqual(params);
  });

  it.each([
    ['/a/{id}', '/a/'],
    ['/a/{id}', '/a'],
    ['/a/{id}', '/a/1/2'],
    ['/a/{id}/b', '/a/1/c'],
  ])('%s does not match %s', (template, path) => {
    expect(matchPath(template, path)).toBeUndefined();
  });

  it('a literal resource wins over a templated one, as in API Gateway', () => {
    expect(routesForPath(ALL_API_ROUTES, API_PATHS.meSessionsRevokeOthers)).toEqual({ onPath: [API_ROUTES.meSessionsRevokeOthers], pathParameters: null });
    const id = '7d0c5a3e-2b1f-4c8e-9a6d-1f2e3d4c5b6a';
    expect(routesForPath(ALL_API_ROUTES, `/api/v1/patient/me/sessions/${id}`)).toEqual({ onPath: [API_ROUTES.meSessionEnd], pathParameters: { id } });
    expect(routesForPath(ALL_API_ROUTES, API_PATHS.meSessions)).toEqual({ onPath: [API_ROUTES.meSessions], pathParameters: null });
    expect(routesForPath(ALL_API_ROUTES, '/api/v1/patient/me/sessions/x/y').onPath).toEqual([]);
  });
});

describe('the local server with a templated route', () => {
  let seen: APIGatewayProxyEvent | undefined;
  const capture = (route: (typeof ALL_API_ROUTES)[number]): LocalRoute => ({
    ...route,
    handler: async (event: APIGatewayProxyEvent) => {
      seen = event;
      return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ fn: route.functionName }) };
    },
  });
  const server = createApiServer([capture(API_ROUTES.meSessionEnd), capture(API_ROUTES.meSessionsRevokeOthers), capture(API_ROUTES.meSessions)]);
  let base: string;
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; resolve(); })));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('routes /me/sessions/<uuid> to its function with pathParameters.id and the template as resource', async () => {
    const id = '7d0c5a3e-2b1f-4c8e-9a6d-1f2e3d4c5b6a';
    const response = await fetch(`${base}/api/v1/patient/me/sessions/${id}`, { method: 'DELETE' });
    expect(await response.json()).toEqual({ fn: 'me-session-end' });
    expect(seen).toMatchObject({ pathParameters: { id }, resource: API_PATHS.meSession, path: `/api/v1/patient/me/sessions/${id}`, httpMethod: 'DELETE' });
    expect(seen!.requestContext.resourcePath).toBe(API_PATHS.meSession);
  });

  it('routes the literal revoke-others to its own function, without path parameters', async () => {
    const response = await fetch(`${base}${API_PATHS.meSessionsRevokeOthers}`, { method: 'POST' });
    expect(await response.json()).toEqual({ fn: 'me-sessions-revoke-others' });
    expect(seen!.pathParameters).toBeNull();
  });

  it('answers 405 for a method the templated resource lacks, and 404 off every resource', async () => {
    expect((await fetch(`${base}/api/v1/patient/me/sessions/abc`, { method: 'GET' })).status).toBe(405);
    expect((await fetch(`${base}/api/v1/patient/me/sessions/abc/def`, { method: 'DELETE' })).status).toBe(404);
  });
});
