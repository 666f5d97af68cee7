import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { readApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { listPasskeys } from '../../lib/passkey/own-passkeys.js';
import { createPasskeyListDeps } from '../../lib/wiring.js';

const deps = createPasskeyListDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** GET /me/passkeys: the caller's passkeys, oldest first. */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const passkeys = await listPasskeys(caller, deps);
  return jsonResponse(200, { success: true, message: 'Passkeys', data: { passkeys } });
});
