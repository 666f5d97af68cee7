import { loadConfig } from '../../lib/config.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateVerifyEmail } from '../../lib/patient/validators.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createVerifyEmailDeps } from '../../lib/wiring.js';

const deps = createVerifyEmailDeps(loadConfig());

export const handler = jsonApi(validateVerifyEmail, async ({ body }) => {
  await verifyEmail(body.token, deps);
  return jsonResponse(200, { success: true, message: 'Email verified successfully.' });
});
