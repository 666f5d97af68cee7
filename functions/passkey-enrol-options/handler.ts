import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { readApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { passkeyCreationOptions } from '../../lib/passkey/enrol-passkey.js';
import { createPasskeyEnrolOptionsDeps } from '../../lib/wiring.js';

const deps = createPasskeyEnrolOptionsDeps(loadConfig(process.env, ['identifiers', 'tokens', 'passkeys']));

/** POST /me/passkeys/options: no body; the options are for the caller (its challenge is stored for it). */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const options = await passkeyCreationOptions(caller, deps);
  return jsonResponse(200, { success: true, message: 'Passkey creation options', data: options });
});
