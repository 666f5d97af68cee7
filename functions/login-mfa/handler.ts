import { completeMfaSignIn, mfaSignInRequestOf } from '../../lib/auth/mfa-sign-in.js';
import { loadConfig } from '../../lib/config.js';
import { signInContextOf } from '../../lib/http/device-summary.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateLoginMfa } from '../../lib/patient/generated/login-mfa.js';
import { createLoginMfaDeps } from '../../lib/wiring.js';

const deps = createLoginMfaDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens', 'token-signing', 'passkeys']));

/** POST /api/v1/patient/login/mfa: the second step of a sign-in (the mfa_token of POST /login and a code or a passkey's assertion): the login answer. */
export const handler = jsonApi(validateLoginMfa, async (event) => {
  const data = await completeMfaSignIn(mfaSignInRequestOf(event.body), signInContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Login successful', data });
});
