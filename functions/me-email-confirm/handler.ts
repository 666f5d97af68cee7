import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { emailMovePages } from '../../lib/http/email-move-page.js';
import { formOrJson, htmlForm } from '../../lib/http/html-form.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateEmailMoveConfirm, validateEmailMovePage } from '../../lib/patient/generated/me-email-confirm.js';
import { confirmEmailMove, confirmEmailMoveWithPassword } from '../../lib/record/move-email.js';
import { createMeEmailConfirmDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['identifiers', 'tokens']);
const deps = createMeEmailConfirmDeps(config);

/** The API: the signed-in patient's own link (the session proves the account). */
const json = bearerJsonApi((headers) => authenticate(headers, deps), validateEmailMoveConfirm, async (event, caller) => {
  const email = await confirmEmailMove(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Your email address was changed. Every other session was signed out.', data: { email } });
});

/** The page's form without JavaScript: token from the page's address, the account's password from the form. */
const form = htmlForm(emailMovePages(config.serviceName).result, async (event) => {
  const request = validateEmailMovePage({ token: event.queryStringParameters?.token ?? event.form.get('token') ?? undefined, password: event.form.get('password') ?? undefined });
  await confirmEmailMoveWithPassword(request, requestContextOf(event), deps);
  return { statusCode: 200, message: 'Your email address was changed.' };
});

export const handler = formOrJson(form, json);
