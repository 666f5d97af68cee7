import { loadConfig } from '../../lib/config.js';
import { formOrJson, htmlForm } from '../../lib/http/html-form.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';
import { jsonResponse } from '../../lib/http/response.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { validateForgotPassword } from '../../lib/patient/generated/password-forgot.js';
import { createPasswordForgotDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['identifiers']);
const deps = createPasswordForgotDeps(config);

/** The same answer whether or not the address is registered: the endpoint must not reveal accounts. */
export const FORGOT_ANSWER = 'If an account exists for this email, a password reset email is on its way.';

const json = jsonApi(validateForgotPassword, async ({ body }) => {
  await requestPasswordReset(body.email, deps);
  return jsonResponse(200, { success: true, message: FORGOT_ANSWER });
});

/** The reset page's "new link" form without JavaScript: the same answer, as a page. */
const form = htmlForm(passwordResetPages(config.serviceName).newLinkResult, async (event) => {
  const { email } = validateForgotPassword({ email: event.form.get('email') ?? undefined });
  await requestPasswordReset(email, deps);
  return { statusCode: 200, message: FORGOT_ANSWER };
});

export const handler = formOrJson(form, json);
