import { loadConfig } from '../../lib/config.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validatePhoneClaim } from '../../lib/patient/generated/phone-claim.js';
import { requestPhoneClaim } from '../../lib/phone/phone-claim.js';
import { createPhoneClaimDeps } from '../../lib/wiring.js';

const deps = createPhoneClaimDeps(loadConfig(process.env, ['identifiers']));

/** The same answer whatever the number's state (free, held unproven, proven): the endpoint reveals nothing (issue 19 item 4). */
export const PHONE_CLAIM_ANSWER = 'If this phone number can be claimed, a code is on its way to it by text message.';

export const handler = jsonApi(validatePhoneClaim, async ({ body }) => {
  await requestPhoneClaim(body.phone_number, deps);
  return jsonResponse(202, { success: true, message: PHONE_CLAIM_ANSWER });
});
