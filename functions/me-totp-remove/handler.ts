import { authenticate } from '../../lib/auth/authenticate.js';
import { removeTotp } from '../../lib/auth/totp-enrolment.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateSecondFactor } from '../../lib/patient/generated/me-totp-remove.js';
import { proofOf } from '../../lib/auth/second-factor-check.js';
import { createMeTotpRemoveDeps } from '../../lib/wiring.js';

const deps = createMeTotpRemoveDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens']));

/** DELETE /api/v1/patient/me/totp (step-up, with a code or a recovery code): the app removed, the other sessions ended. */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validateSecondFactor, async (event, caller) => {
  await removeTotp(caller, proofOf(event.body), requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Authenticator app removed; your other sessions were signed out' });
});
