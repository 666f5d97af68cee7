import { loadConfig } from '../../lib/config.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { validateForgotPassword } from '../../lib/validation/generated/password-forgot.js';
import { createPasswordForgotDeps } from '../../lib/wiring.js';

const deps = createPasswordForgotDeps(loadConfig(process.env, ['identifiers']));

/** The same answer whether or not the address is registered: the endpoint must not reveal accounts. */
export const FORGOT_ANSWER = 'If an account exists for this email, a password reset email is on its way.';

export const handler = jsonApi(validateForgotPassword, async ({ body }) => {
  await requestPasswordReset(body.email, deps);
  return jsonResponse(200, { success: true, message: FORGOT_ANSWER });
});
