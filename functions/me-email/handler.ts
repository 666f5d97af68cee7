import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateEmailMove } from '../../lib/patient/generated/me-email.js';
import { EMAIL_MOVE_REQUESTED_ANSWER, requestEmailMove } from '../../lib/record/move-email.js';
import { createMeEmailDeps } from '../../lib/wiring.js';

const deps = createMeEmailDeps(loadConfig(process.env, ['identifiers', 'tokens', 'email-move-links']));

/** POST /api/v1/patient/me/email: a link to the new address, a notice to the old one; 202 whatever the address (lib/record/README.md). */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validateEmailMove, async (event, caller) => {
  await requestEmailMove(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(202, { success: true, message: EMAIL_MOVE_REQUESTED_ANSWER });
});
