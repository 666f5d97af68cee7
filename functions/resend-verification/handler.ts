import { loadConfig } from '../../lib/config.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { requestVerificationResend } from '../../lib/patient/resend-verification.js';
import { validateResendVerification } from '../../lib/validation/generated/resend-verification.js';
import { createResendVerificationDeps } from '../../lib/wiring.js';

const deps = createResendVerificationDeps(loadConfig(process.env, ['identifiers']));

/** The same answer whether or not the address is registered: the endpoint must not reveal accounts. */
export const RESEND_ANSWER = 'If an unverified account exists for this email, a new verification email is on its way.';

export const handler = jsonApi(validateResendVerification, async ({ body }) => {
  await requestVerificationResend(body.email, deps);
  return jsonResponse(200, { success: true, message: RESEND_ANSWER });
});
