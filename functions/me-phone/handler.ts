import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validatePhoneMove } from '../../lib/patient/generated/me-phone.js';
import { PHONE_MOVE_REQUESTED_ANSWER, requestPhoneMove } from '../../lib/record/move-phone.js';
import { createMePhoneDeps } from '../../lib/wiring.js';

const deps = createMePhoneDeps(loadConfig(process.env, ['identifiers', 'tokens', 'sms-budget']));

/** POST /api/v1/patient/me/phone: a code by SMS to the new number (the phone verification's limits); 202 (lib/record/README.md). */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validatePhoneMove, async (event, caller) => {
  await requestPhoneMove(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(202, { success: true, message: PHONE_MOVE_REQUESTED_ANSWER });
});
