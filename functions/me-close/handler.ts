import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { ACCOUNT_CLOSED_ANSWER, closeAccount } from '../../lib/record/close-account.js';
import { validateAccountClose } from '../../lib/patient/generated/me-close.js';
import { createMeCloseDeps } from '../../lib/wiring.js';

const deps = createMeCloseDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** POST /api/v1/patient/me/close: the account deactivated, every session ended, the record kept (lib/record/README.md). */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validateAccountClose, async (event, caller) => {
  await closeAccount(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: ACCOUNT_CLOSED_ANSWER });
});
