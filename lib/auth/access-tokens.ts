import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, errors, jwtVerify } from 'jose';
import { InvalidAccessTokenError } from '../errors.js';
import { loadOnce } from '../load-once.js';
import { acrOf, ACR_AAL1, ACR_AAL2, PASSWORD_SIGN_IN, type Acr } from './assurance.js';
import type { AccessTokens, Es256KeySource, PublishedJwk } from './ports.js';

/** 15 minutes, as the sign-in issue sets: short enough that a leaked token soon stops working. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
/**
 * Claims are whole seconds, so a token issued at x.999 s by one Lambda can reach another whose
 * clock reads x-1 s a millisecond later: one second absorbs that rounding and no more.
 */
export const CLOCK_TOLERANCE_SECONDS = 1;
const ALGORITHM = 'ES256';
const TYPE = 'JWT';

export interface AccessTokenOptions {
  /** Signs every new token; absent in a function that only verifies (it never holds a private key). */
  signingKey?: Es256KeySource;
  /**
   * Every public key whose tokens are accepted, the current signing key's first: during a rotation the
   * retired key stays here until its last token expired. Default: the signing key's own public key.
   */
  publicKeys?: () => Promise<readonly KeyObject[]>;
  /** Per stage, so a token from one stage is refused by another. */
  issuer: string;
  audience: string;
}

interface NamedKey {
  kid: string;
  key: KeyObject;
  jwk: PublishedJwk;
}

const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * A public key as the JWKS publishes it. The RFC 7638 thumbprint names the key by itself: no label to
 * keep in sync, nothing about the deployment (account, key ARN) in tokens.
 */
export async function publishedJwkOf(key: KeyObject): Promise<PublishedJwk> {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('An access-token key must be an EC P-256 key');
  }
  const { x, y } = key.type === 'public' ? key.export({ format: 'jwk' }) : createPublicKey(key).export({ format: 'jwk' });
  if (!x || !y) throw new Error('An access-token key must be an EC P-256 key');
  return { kty: 'EC', crv: 'P-256', x, y, kid: await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x, y }), alg: ALGORITHM, use: 'sig' };
}

async function named(key: KeyObject): Promise<NamedKey> {
  const jwk = await publishedJwkOf(key);
  return { kid: jwk.kid, key, jwk };
}

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { signingKey, issuer, audience } = options;
  const publicKeys = options.publicKeys ?? (async () => {
    if (!signingKey) throw new Error('Access tokens need a signing key or public keys');
    return [await signingKey.publicKey()];
  });
  // Verifying never touches the private key: a verify-only function holds public keys alone.
  const keys = loadOnce(async () => {
    const loaded = await Promise.all((await publicKeys()).map(named));
    if (loaded.length === 0) throw new Error('Access tokens need at least one public key');
    return loaded;
  });
  // The signing key must be the one published first, or no verifier (ours or a third party's) would accept its tokens.
  const signer = loadOnce(async () => {
    if (!signingKey) throw new Error('This function holds no access-token signing key: it only verifies');
    const [own, [current]] = await Promise.all([signingKey.publicKey().then(named), keys()]);
    if (own.kid !== current!.kid) throw new Error('The access-token signing key is not the current published key');
    return { kid: own.kid, signingKey };
  });

  return {
    async issue(patientId, now, sessionId, auth) {
      if (!patientId) throw new Error('An access token needs a patient id');
      const { kid, signingKey: key } = await signer();
      const iat = seconds(now);
      const header = base64url(JSON.stringify({ alg: ALGORITHM, typ: TYPE, kid }));
      const amr = auth?.amr ?? PASSWORD_SIGN_IN;
      const claims = {
        sub: patientId, ...(sessionId && { sid: sessionId }), iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS, jti: randomUUID(), iss: issuer, aud: audience,
        amr, auth_time: seconds(auth?.authTime ?? now), acr: acrOf(amr),
      };
      const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
      const signature = await key.sign(Buffer.from(signingInput, 'ascii'));
      if (signature.length !== 64) throw new Error('An ES256 signature must be 64 bytes (r‖s)');
      return { token: `${signingInput}.${base64url(signature)}`, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
    },

    async publicKeys() {
      return (await keys()).map((k) => ({ ...k.jwk }));
    },

    async verify(token, now) {
      try {
        const { payload } = await jwtVerify(
          token,
          async ({ kid }) => {
            const match = (await keys()).find((k) => k.kid === kid);
            if (!match) throw new errors.JWKSNoMatchingKey();
            return match.key;
          },
          {
            // Only ES256: never `none`, never HS256 keyed with our public key, never another curve.
            algorithms: [ALGORITHM],
            typ: TYPE,
            issuer,
            audience,
            currentDate: now,
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
            // Also refuses an `iat` in the future and a far-off `exp` that only a bug could have set.
            maxTokenAge: ACCESS_TOKEN_TTL_SECONDS,
            requiredClaims: ['sub', 'iat', 'exp', 'jti'],
          },
        );
        if (typeof payload.sub !== 'string' || !payload.sub || typeof payload.jti !== 'string') {
          throw new InvalidAccessTokenError('ERR_CLAIM_TYPE');
        }
        if (payload.sid !== undefined && (typeof payload.sid !== 'string' || !payload.sid)) throw new InvalidAccessTokenError('ERR_CLAIM_TYPE');
        return {
          ...assuranceClaims(payload),
          patientId: payload.sub, tokenId: payload.jti, issuedAt: new Date(payload.iat! * 1000), expiresAt: new Date(payload.exp! * 1000),
          ...(payload.sid !== undefined && { sessionId: payload.sid as string }),
        };
      } catch (error) {
        // jose's errors carry the claims (a patient id): keep only the code. Anything else (a key that
        // failed to load) is not the client's fault and must not become a 401.
        if (error instanceof errors.JOSEError) throw new InvalidAccessTokenError(error.code);
        throw error;
      }
    },
  };
}

const ACRS: readonly string[] = [ACR_AAL1, ACR_AAL2];

/**
 * The sign-in claims of a verified payload. A token from before them reads as a password sign-in at
 * its `iat` (AAL1); a malformed one is refused. `acr` is recomputed from `amr` rather than trusted
 * alone, so the two can never disagree in our favour.
 */
function assuranceClaims(payload: Record<string, unknown>): { amr: string[]; authTime: Date; acr: Acr } {
  const { amr, auth_time: authTime, acr, iat } = payload as { amr?: unknown; auth_time?: unknown; acr?: unknown; iat: number };
  if (amr === undefined && authTime === undefined && acr === undefined) return { amr: [...PASSWORD_SIGN_IN], authTime: new Date(iat * 1000), acr: ACR_AAL1 };
  if (!Array.isArray(amr) || !amr.every((m) => typeof m === 'string') || typeof authTime !== 'number' || !Number.isInteger(authTime) ||
      authTime > iat || typeof acr !== 'string' || !ACRS.includes(acr) || acr !== acrOf(amr)) {
    throw new InvalidAccessTokenError('ERR_CLAIM_TYPE');
  }
  return { amr: amr as string[], authTime: new Date(authTime * 1000), acr: acr as Acr };
}
