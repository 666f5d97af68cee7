import { randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, errors, exportJWK, jwtVerify } from 'jose';
import { InvalidAccessTokenError } from '../errors.js';
import { loadOnce } from '../load-once.js';
import type { AccessTokens, Es256KeySource } from './ports.js';

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
  /** Signs every new token. */
  signingKey: Es256KeySource;
  /** Keys whose tokens are still accepted while a rotation is under way (the previous signing key). */
  retiredKeys?: Es256KeySource[];
  /** Per stage, so a token from one stage is refused by another. */
  issuer: string;
  audience: string;
}

interface NamedKey {
  kid: string;
  key: KeyObject;
}

const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The RFC 7638 thumbprint names a key by itself: no label to keep in sync, no KMS ARN (account id) in tokens. */
async function named(source: Es256KeySource): Promise<NamedKey> {
  const key = await source.publicKey();
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('An access-token key must be an EC P-256 key');
  }
  return { kid: await calculateJwkThumbprint(await exportJWK(key)), key };
}

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { signingKey, retiredKeys = [], issuer, audience } = options;
  const keys = loadOnce(async () => Promise.all([signingKey, ...retiredKeys].map(named)));

  return {
    async issue(patientId, now, sessionId) {
      if (!patientId) throw new Error('An access token needs a patient id');
      const [current] = await keys();
      const iat = seconds(now);
      const header = base64url(JSON.stringify({ alg: ALGORITHM, typ: TYPE, kid: current!.kid }));
      const claims = { sub: patientId, ...(sessionId && { sid: sessionId }), iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS, jti: randomUUID(), iss: issuer, aud: audience };
      const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
      const signature = await signingKey.sign(Buffer.from(signingInput, 'ascii'));
      if (signature.length !== 64) throw new Error('An ES256 signature must be 64 bytes (r‖s)');
      return { token: `${signingInput}.${base64url(signature)}`, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
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
          patientId: payload.sub, tokenId: payload.jti, issuedAt: new Date(payload.iat! * 1000), expiresAt: new Date(payload.exp! * 1000),
          ...(payload.sid !== undefined && { sessionId: payload.sid as string }),
        };
      } catch (error) {
        // jose's errors carry the claims (a patient id): keep only the code. Anything else (KMS down
        // while loading a key) is not the client's fault and must not become a 401.
        if (error instanceof errors.JOSEError) throw new InvalidAccessTokenError(error.code);
        throw error;
      }
    },
  };
}
