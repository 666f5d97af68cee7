import { loadConfig } from '../../lib/config.js';
import { formOrJson, htmlForm } from '../../lib/http/html-form.js';
import { jsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';
import { jsonResponse } from '../../lib/http/response.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { validatePasswordReset } from '../../lib/patient/generated/password-reset.js';
import { createPasswordResetDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['identifiers']);
const deps = createPasswordResetDeps(config);

export const RESET_ANSWER = 'Your password has been changed. You can now sign in with it.';

/** The API: sets the new password with the link's token. It does not sign in: the patient signs in next. */
const json = jsonApi(validatePasswordReset, async (event) => {
  await resetPassword(event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: RESET_ANSWER });
});

/** The page's form without JavaScript: token from the page's address, passwords from the form. */
const form = htmlForm(passwordResetPages(config.serviceName).result, async (event) => {
  const request = validatePasswordReset({
    token: event.queryStringParameters?.token ?? event.form.get('token') ?? undefined,
    password: event.form.get('password') ?? undefined,
    confirm_password: event.form.get('confirm_password') ?? undefined,
  });
  await resetPassword(request, requestContextOf(event), deps);
  return { statusCode: 200, message: RESET_ANSWER };
});

export const handler = formOrJson(form, json);
