import { loadConfig } from '../../lib/config.js';
import { signInContextOf } from '../../lib/http/device-summary.js';
import { formOrJson, htmlForm } from '../../lib/http/html-form.js';
import { jsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';
import { validateVerifyEmail } from '../../lib/patient/generated/verify-email.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createVerifyEmailDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['identifiers', 'tokens', 'token-signing']);
const deps = createVerifyEmailDeps(config);

/** The API: confirms the email with the link's token and the account's password, and signs the patient in. */
const json = jsonApi(validateVerifyEmail, async (event) => {
  const data = await verifyEmail(event.body, signInContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Email verified successfully.', data });
});

/**
 * The page's form without JavaScript: token from the page's address, password from the form. No
 * session is started: a plain page has nowhere to keep tokens; the patient signs in from the app.
 */
const form = htmlForm(verifyEmailPages(config.serviceName).result, async (event) => {
  const request = validateVerifyEmail({ token: event.queryStringParameters?.token ?? event.form.get('token') ?? undefined, password: event.form.get('password') ?? undefined });
  await verifyEmail(request, requestContextOf(event), deps, { startSession: false });
  return { statusCode: 200, message: 'Your email address is verified. You can now sign in.' };
});

export const handler = formOrJson(form, json);
