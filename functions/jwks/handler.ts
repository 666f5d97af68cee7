import { loadConfig } from '../../lib/config.js';
import { JWKS_HEADERS } from '../../lib/http/jwks.js';
import { readApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { createJwksDeps } from '../../lib/wiring.js';

const deps = createJwksDeps(loadConfig(process.env, ['tokens']));

/**
 * GET /.well-known/jwks.json: the public keys access tokens are verified with, current first (RFC 7517),
 * so another API can verify our tokens itself (e.g. jose's createRemoteJWKSet). Public keys only, from
 * the environment: no AWS call, no private key in this function.
 */
export const handler = readApi(async () => jsonResponse(200, { keys: await deps.tokens.publicKeys() }, JWKS_HEADERS));
