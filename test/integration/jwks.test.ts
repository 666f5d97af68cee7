import { generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../lib/local/api-server.js';
import { loadRoutes } from '../../lib/local/routes.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { verifiedPatient } from '../support/sign-in-api.js';

/**
 * A third-party API verifying our access tokens, as it would in production: it knows only the
 * server's address, fetches GET /.well-known/jwks.json with jose's createRemoteJWKSet and checks the
 * signature, issuer, audience and algorithm itself. Against the local server npm start runs.
 */
const server = createApiServer(await loadRoutes());
let base: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const signIn = async (email: string, password: string) => {
  const response = await fetch(`${base}${API_PATHS.login}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { access_token: string; patient_id: string } }).data;
};

const thirdParty = () => {
  const keys = createRemoteJWKSet(new URL(`${base}${API_PATHS.jwks}`));
  return (token: string) => jwtVerify(token, keys, { issuer: process.env.TOKEN_ISSUER!, audience: process.env.TOKEN_AUDIENCE!, algorithms: ['ES256'] });
};

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only, cacheable, as a JWK Set', async () => {
    const response = await fetch(`${base}${API_PATHS.jwks}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' }]);
  });

  it('lets another API verify a sign-in\'s access token with createRemoteJWKSet, knowing only our address', async () => {
    const { body, patientId } = await verifiedPatient();
    const session = await signIn(body.email, body.password);
    const { payload, protectedHeader } = await thirdParty()(session.access_token);
    expect(payload.sub).toBe(patientId);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
  }, 60_000);

  it('gives another API no key for a token signed by anyone else, even one that copies our kid', async () => {
    const { body } = await verifiedPatient();
    const genuine = (await signIn(body.email, body.password)).access_token;
    const [header, claims] = genuine.split('.') as [string, string];
    const intruder = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = `${header}.${claims}.${sign('sha256', Buffer.from(`${header}.${claims}`), { key: intruder, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    expect(decodeProtectedHeader(forged).kid).toBe(decodeProtectedHeader(genuine).kid);
    await expect(thirdParty()(forged)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  }, 60_000);
});
