/**
 * How long a verifier may keep the JWKS: a rotation publishes the new key one deploy before it signs
 * (infra/stacks/stateful-stack.ts), at least this long apart, so a cached copy always holds the key a
 * token names. jose's createRemoteJWKSet also refetches on an unknown `kid`.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

/** application/json as every other answer (what verifiers expect in practice), but cacheable: public keys only. */
export const JWKS_HEADERS = { 'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` } as const;
