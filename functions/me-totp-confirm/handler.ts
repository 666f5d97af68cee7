import { authenticate } from '../../lib/auth/authenticate.js';
import { confirmTotpEnrolment } from '../../lib/auth/totp-enrolment.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateTotpConfirm } from '../../lib/patient/generated/me-totp-confirm.js';
import { createMeTotpConfirmDeps } from '../../lib/wiring.js';

const deps = createMeTotpConfirmDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens']));

/** POST /api/v1/patient/me/totp/confirm: the first code turns the app on; the 10 recovery codes are shown this once. */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validateTotpConfirm, async (event, caller) => {
  const data = await confirmTotpEnrolment(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Authenticator app turned on. Keep these recovery codes somewhere safe: they are shown only once', data });
});
