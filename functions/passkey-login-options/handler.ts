import { loadConfig } from '../../lib/config.js';
import { readApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { passkeySignInOptions } from '../../lib/passkey/passkey-sign-in.js';
import { createPasskeyLoginOptionsDeps } from '../../lib/wiring.js';

const deps = createPasskeyLoginOptionsDeps(loadConfig(process.env, ['passkeys']));

/** POST /login/passkey/options: no body, no account named; the browser offers the patient's own passkeys. */
export const handler = readApi(async () => {
  const options = await passkeySignInOptions(deps);
  return jsonResponse(200, { success: true, message: 'Passkey request options', data: options });
});
