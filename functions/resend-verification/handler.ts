import { loadConfig } from '../../lib/config.js';
import { formOrJson, htmlForm } from '../../lib/http/html-form.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';
import { requestVerificationResend } from '../../lib/patient/resend-verification.js';
import { validateResendVerification } from '../../lib/patient/generated/resend-verification.js';
import { createResendVerificationDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['identifiers']);
const deps = createResendVerificationDeps(config);

/** The same answer whether or not the address is registered: the endpoint must not reveal accounts. */
export const RESEND_ANSWER = 'If an unverified account exists for this email, a new verification email is on its way.';

const json = jsonApi(validateResendVerification, async ({ body }) => {
  await requestVerificationResend(body.email, deps);
  return jsonResponse(200, { success: true, message: RESEND_ANSWER });
});

/** The verification page's "new link" form without JavaScript: the same answer, as a page. */
const form = htmlForm(verifyEmailPages(config.serviceName).newLinkResult, async (event) => {
  const { email } = validateResendVerification({ email: event.form.get('email') ?? undefined });
  await requestVerificationResend(email, deps);
  return { statusCode: 200, message: RESEND_ANSWER };
});

export const handler = formOrJson(form, json);
