import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validatePhoneVerify } from '../../lib/patient/generated/phone-verify.js';
import { verifyPhone } from '../../lib/phone/verify-phone.js';
import { createPhoneVerifyDeps } from '../../lib/wiring.js';

const deps = createPhoneVerifyDeps(loadConfig(process.env, ['identifiers', 'tokens']));

export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validatePhoneVerify, async (event, caller) => {
  await verifyPhone(caller, event.body.code, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Phone number verified', data: { phone_verified: true } });
});
