import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validatePhoneVerify } from '../../lib/patient/generated/me-phone-verify.js';
import { verifyPhoneMove } from '../../lib/record/move-phone.js';
import { createMePhoneVerifyDeps } from '../../lib/wiring.js';

const deps = createMePhoneVerifyDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** POST /api/v1/patient/me/phone/verify: the code from the SMS; the number and its reservation swap (lib/record/README.md). */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validatePhoneVerify, async (event, caller) => {
  await verifyPhoneMove(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Your phone number was changed and is verified.' });
});
