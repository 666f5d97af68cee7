import { completeMfaSignIn } from '../../lib/auth/mfa-sign-in.js';
import { proofOf } from '../../lib/auth/second-factor-check.js';
import { loadConfig } from '../../lib/config.js';
import { signInContextOf } from '../../lib/http/device-summary.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateLoginMfa } from '../../lib/patient/generated/login-mfa.js';
import { createLoginMfaDeps } from '../../lib/wiring.js';

const deps = createLoginMfaDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens', 'token-signing']));

/** POST /api/v1/patient/login/mfa: the second step of a sign-in (the mfa_token of POST /login and a code): the login answer. */
export const handler = jsonApi(validateLoginMfa, async (event) => {
  const { mfa_token: mfaToken, ...proof } = event.body;
  const data = await completeMfaSignIn({ mfa_token: mfaToken, ...proofOf(proof) }, signInContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Login successful', data });
});
