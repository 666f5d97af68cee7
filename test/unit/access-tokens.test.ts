import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLocalEs256KeySource, loadLocalEs256Key } from '../../lib/adapters/local/local-es256-key-source.js';
import { ACCESS_TOKEN_TTL_SECONDS, createAccessTokens } from '../../lib/auth/access-tokens.js';
import { ACR_AAL1, ACR_AAL2 } from '../../lib/auth/assurance.js';
import type { AccessTokens, Es256KeySource } from '../../lib/auth/ports.js';
import { InvalidAccessTokenError, ServiceUnavailableError } from '../../lib/errors.js';

const ISSUER = 'https://api.test.example/dev';
const AUDIENCE = 'patient-registration-dev';
const PATIENT_ID = '0b7c2d3e-1f4a-4b5c-8d6e-7f8091a2b3c4';
// A whole second, so "+900 s" is exactly the expiry instant.
const NOW = new Date('2026-03-01T10:00:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const KEY = p256();
const source = createLocalEs256KeySource(KEY);
const tokens = createAccessTokens({ signingKey: source, issuer: ISSUER, audience: AUDIENCE });

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A real token's header and claims, to forge variants that differ in exactly one respect. */
async function genuine() {
  const { token } = await tokens.issue(PATIENT_ID, NOW);
  return { token, header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}

/** An ES256 JWS over any header and claims, signed by any P-256 key. */
function es256(header: object, claims: object, key: KeyObject = KEY): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function refusal(token: string, now = NOW): Promise<InvalidAccessTokenError> {
  return refusalBy(tokens, token, now);
}

async function refusalBy(verifier: AccessTokens, token: string, now = NOW): Promise<InvalidAccessTokenError> {
  const error = await verifier.verify(token, now).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidAccessTokenError);
  return error as InvalidAccessTokenError;
}

describe('issuing an access token', () => {
  it('verifies back to the patient, with a random jti and a 15-minute life', async () => {
    const issued = await tokens.issue(PATIENT_ID, NOW);
    expect(issued.expiresIn).toBe(900);
    const verified = await tokens.verify(issued.token, NOW);
    expect(verified).toMatchObject({ patientId: PATIENT_ID, issuedAt: NOW, expiresAt: later(900) });
    expect(verified.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await tokens.verify((await tokens.issue(PATIENT_ID, NOW)).token, NOW)).tokenId).not.toBe(verified.tokenId);
  });

  it('writes the header and claims the issue names, and a kid that rotation can switch on', async () => {
    const { header, claims } = await genuine();
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(Object.keys(claims).sort()).toEqual(['acr', 'amr', 'aud', 'auth_time', 'exp', 'iat', 'iss', 'jti', 'sub']);
    expect(claims).toMatchObject({ sub: PATIENT_ID, iss: ISSUER, aud: AUDIENCE, iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + ACCESS_TOKEN_TTL_SECONDS });
  });

  it('refuses to issue a token for no one', async () => {
    await expect(tokens.issue('', NOW)).rejects.toThrow('patient id');
  });
});

describe('the sign-in claims (amr, auth_time, acr; issue 21)', () => {
  it('a token from before them reads as a password sign-in (AAL1) at its own iat', async () => {
    const { header, claims } = await genuine();
    const { amr: _amr, auth_time: _authTime, acr: _acr, ...old } = claims;
    const caller = await tokens.verify(es256(header, old), NOW);
    expect(caller).toMatchObject({ amr: ['pwd'], authTime: NOW, acr: ACR_AAL1 });
  });

  it('an acr that its amr does not earn, an auth_time after iat or a malformed amr is refused', async () => {
    const { header, claims } = await genuine();
    for (const bad of [{ acr: ACR_AAL2 }, { auth_time: (claims.iat as number) + 5 }, { amr: 'pwd' }, { acr: 'aal3' }, { auth_time: undefined }]) {
      expect(await refusal(es256(header, { ...claims, ...bad }))).toBeInstanceOf(InvalidAccessTokenError);
    }
    expect((await tokens.verify(es256(header, claims), NOW)).acr).toBe(ACR_AAL1);
  });
});

describe('an access token is refused when', () => {
  it('it has expired: valid at +900 s (1 s clock tolerance), refused at +901 s', async () => {
    const { token } = await genuine();
    await expect(tokens.verify(token, later(900))).resolves.toMatchObject({ patientId: PATIENT_ID });
    expect((await refusal(token, later(901))).reason).toBe('ERR_JWT_EXPIRED');
  });

  it('it was issued in the future: 1 s of skew is absorbed, 2 s is not', async () => {
    const { token } = await genuine();
    await expect(tokens.verify(token, later(-1))).resolves.toBeDefined();
    await refusal(token, later(-2));
  });

  it('it is older than 15 minutes even though its exp lies further out (no token of ours does)', async () => {
    const { header, claims } = await genuine();
    const longLived = es256(header, { ...claims, exp: claims.exp! + 3600 });
    await expect(tokens.verify(longLived, later(901))).resolves.toBeDefined();
    expect((await refusal(longLived, later(902))).reason).toBe('ERR_JWT_EXPIRED');
  });

  it.each([
    ['the issuer is another stage', { iss: 'https://api.test.example/prod' }],
    ['the audience is another', { aud: 'someone-else' }],
  ])('%s', async (_case, change) => {
    const { header, claims } = await genuine();
    await refusal(es256(header, { ...claims, ...change }));
  });

  it.each(['sub', 'jti', 'exp', 'iat'])('the %s claim is missing', async (claim) => {
    const { header, claims } = await genuine();
    const { [claim]: _dropped, ...rest } = claims;
    await refusal(es256(header, rest));
  });

  it.each([
    ['a number', 42],
    ['empty', ''],
  ])('sub is %s', async (_case, sub) => {
    const { header, claims } = await genuine();
    await refusal(es256(header, { ...claims, sub }));
  });

  it('its payload was changed after signing', async () => {
    const { token, claims } = await genuine();
    const [header, , signature] = token.split('.');
    await refusal(`${header}.${b64({ ...claims, sub: 'someone-else' })}.${signature}`);
  });

  it('it says alg: none (unsigned)', async () => {
    const { claims } = await genuine();
    const unsigned = new UnsecuredJWT(claims).encode();
    expect((await refusal(unsigned)).reason).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('it is HS256 with our public key as the HMAC secret (algorithm confusion)', async () => {
    const { header, claims } = await genuine();
    const publicPem = (await source.publicKey()).export({ format: 'pem', type: 'spki' });
    const forged = await new SignJWT(claims).setProtectedHeader({ ...header, alg: 'HS256' }).sign(Buffer.from(publicPem));
    expect((await refusal(forged)).reason).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it.each([
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey],
  ])('it is signed with %s', async (alg, key) => {
    const { header, claims } = await genuine();
    const forged = await new SignJWT(claims).setProtectedHeader({ ...header, alg }).sign(key());
    expect((await refusal(forged)).reason).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('its kid names no key of ours', async () => {
    const { header, claims } = await genuine();
    await refusal(es256({ ...header, kid: 'someone-elses-key' }, claims));
  });

  it('another P-256 key signed it, under our kid or its own', async () => {
    const { header, claims } = await genuine();
    const otherKey = p256();
    expect((await refusal(es256(header, claims, otherKey))).reason).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const stranger = createAccessTokens({ signingKey: createLocalEs256KeySource(otherKey), issuer: ISSUER, audience: AUDIENCE });
    await refusal((await stranger.issue(PATIENT_ID, NOW)).token);
  });

  it('it is a JWT of another type', async () => {
    const { header, claims } = await genuine();
    await refusal(es256({ ...header, typ: 'refresh+jwt' }, claims));
  });

  it.each(['', 'not-a-jwt', 'a.b.c', 'Bearer x.y.z'])('it is not a JWS at all: %j', async (token) => {
    await refusal(token);
  });
});

describe('what a refusal reveals', () => {
  it('one fixed message and jose\'s code: not the token, not the patient id', async () => {
    const { token } = await genuine();
    const error = await refusal(token, later(901));
    expect(error.message).toBe('Invalid or expired access token');
    expect(error.cause).toBeUndefined();
    const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
    expect(everything).not.toContain(token.split('.')[1]);
    expect(everything).not.toContain(PATIENT_ID);
  });
});

describe('rotating the signing key', () => {
  it('signs with the new key and still accepts the retired key\'s tokens while both are published', async () => {
    const retired = createLocalEs256KeySource(p256());
    const before = createAccessTokens({ signingKey: retired, issuer: ISSUER, audience: AUDIENCE });
    const oldToken = (await before.issue(PATIENT_ID, NOW)).token;
    const published = async () => [await source.publicKey(), await retired.publicKey()];
    const after = createAccessTokens({ signingKey: source, publicKeys: published, issuer: ISSUER, audience: AUDIENCE });
    const newToken = (await after.issue(PATIENT_ID, NOW)).token;
    expect(decodeProtectedHeader(newToken).kid).not.toBe(decodeProtectedHeader(oldToken).kid);
    await expect(after.verify(oldToken, NOW)).resolves.toMatchObject({ patientId: PATIENT_ID });
    await expect(after.verify(newToken, NOW)).resolves.toMatchObject({ patientId: PATIENT_ID });
    // Once the retired key is no longer published, its tokens are refused.
    const retiredDropped = createAccessTokens({ publicKeys: async () => [await source.publicKey()], issuer: ISSUER, audience: AUDIENCE });
    expect((await refusalBy(retiredDropped, oldToken)).reason).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('refuses to sign with a key that is not the first published one (no verifier would look for it first)', async () => {
    const retired = createLocalEs256KeySource(p256());
    const published = async () => [await retired.publicKey(), await source.publicKey()];
    const misordered = createAccessTokens({ signingKey: source, publicKeys: published, issuer: ISSUER, audience: AUDIENCE });
    await expect(misordered.issue(PATIENT_ID, NOW)).rejects.toThrow('not the current published key');
  });
});

describe('a function that only verifies', () => {
  const verifyOnly = createAccessTokens({ publicKeys: async () => [await source.publicKey()], issuer: ISSUER, audience: AUDIENCE });

  it('verifies the signing function\'s tokens with the public key alone', async () => {
    const { token } = await genuine();
    await expect(verifyOnly.verify(token, NOW)).resolves.toMatchObject({ patientId: PATIENT_ID });
  });

  it('cannot issue a token', async () => {
    await expect(verifyOnly.issue(PATIENT_ID, NOW)).rejects.toThrow('only verifies');
  });
});

describe('the published keys (JWKS)', () => {
  it('are the public keys, current first, each named by the kid its tokens carry, and nothing private', async () => {
    const retired = createLocalEs256KeySource(p256());
    const both = createAccessTokens({ signingKey: source, publicKeys: async () => [await source.publicKey(), await retired.publicKey()], issuer: ISSUER, audience: AUDIENCE });
    const keys = await both.publicKeys();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: decodeProtectedHeader((await both.issue(PATIENT_ID, NOW)).token).kid, alg: 'ES256', use: 'sig' });
    expect(keys[1]!.kid).not.toBe(keys[0]!.kid);
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });
});

describe('a key that cannot be loaded', () => {
  /** A key source whose public key fails to load `failures` times (KMS throttled at a cold start), then works. */
  function flaky(failures: number): Es256KeySource & { loads: number } {
    const flakySource = {
      loads: 0,
      sign: source.sign,
      async publicKey() {
        flakySource.loads++;
        if (flakySource.loads <= failures) throw new ServiceUnavailableError('kms');
        return source.publicKey();
      },
    };
    return flakySource;
  }

  it('is a 503 for the request, not a 401 for the client, and is tried again next time', async () => {
    const { token } = await genuine();
    const keySource = flaky(1);
    const tokensOnFlakyKey = createAccessTokens({ signingKey: keySource, issuer: ISSUER, audience: AUDIENCE });
    await expect(tokensOnFlakyKey.verify(token, NOW)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(tokensOnFlakyKey.verify(token, NOW)).resolves.toMatchObject({ patientId: PATIENT_ID });
    await tokensOnFlakyKey.verify(token, NOW);
    expect(keySource.loads).toBe(2);
  });

  it('that is not P-256 is refused before it signs anything', async () => {
    const p384: Es256KeySource = { sign: source.sign, publicKey: async () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey };
    await expect(createAccessTokens({ signingKey: p384, issuer: ISSUER, audience: AUDIENCE }).issue(PATIENT_ID, NOW)).rejects.toThrow('P-256');
  });
});

describe('the local signing key', () => {
  it('is generated once into a file only its owner can read, and reused', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jwt-key-')), '.local', 'jwt-signing-key.pem');
    const first = loadLocalEs256Key(undefined, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('BEGIN PRIVATE KEY');
    const again = loadLocalEs256Key(undefined, file);
    expect(again.export({ format: 'jwk' })).toEqual(first.export({ format: 'jwk' }));
  });

  it('comes from the environment when given, for tests', () => {
    const pem = KEY.export({ format: 'pem', type: 'pkcs8' }).toString();
    const file = join(mkdtempSync(join(tmpdir(), 'jwt-key-')), 'unused.pem');
    expect(loadLocalEs256Key(pem, file).export({ format: 'jwk' })).toEqual(KEY.export({ format: 'jwk' }));
  });

  it('must be a P-256 private key', () => {
    expect(() => createLocalEs256KeySource(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)).toThrow('P-256');
    expect(() => createLocalEs256KeySource(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toThrow('P-256');
  });
});

describe('the session claim (sid)', () => {
  it('carries the session family it was issued for, and a token without one verifies without it', async () => {
    const withSession = await tokens.issue(PATIENT_ID, NOW, 'family-1');
    expect((await tokens.verify(withSession.token, NOW)).sessionId).toBe('family-1');
    const without = await tokens.issue(PATIENT_ID, NOW);
    expect((await tokens.verify(without.token, NOW)).sessionId).toBeUndefined();
  });

  it('refuses a signed token whose sid is not a non-empty string', async () => {
    const { header, claims } = await genuine();
    for (const sid of [42, '', ['a']]) {
      expect((await refusal(es256(header, { ...claims, sid }))).reason).toBe('ERR_CLAIM_TYPE');
    }
  });
});
