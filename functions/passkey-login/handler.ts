import { loadConfig } from '../../lib/config.js';
import { signInContextOf } from '../../lib/http/device-summary.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { signInWithPasskey } from '../../lib/passkey/passkey-sign-in.js';
import { validatePasskeySignIn } from '../../lib/patient/generated/passkey-login.js';
import { createPasskeyLoginDeps } from '../../lib/wiring.js';

const deps = createPasskeyLoginDeps(loadConfig(process.env, ['identifiers', 'tokens', 'token-signing', 'passkeys']));

/** POST /login/passkey: a passkey's assertion signs in, answered as POST /login is. */
export const handler = jsonApi(validatePasskeySignIn, async (event) => {
  const data = await signInWithPasskey(event.body, signInContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Login successful', data });
});
