import { loadConfig } from '../../lib/config.js';
import { jsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateVerifyEmail } from '../../lib/patient/validators.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createVerifyEmailDeps } from '../../lib/wiring.js';

const deps = createVerifyEmailDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** Confirms the email with the link's token and the account's password, and signs the patient in. */
export const handler = jsonApi(validateVerifyEmail, async (event) => {
  const data = await verifyEmail(event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Email verified successfully.', data });
});
