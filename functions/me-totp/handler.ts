import { authenticate } from '../../lib/auth/authenticate.js';
import { beginTotpEnrolment } from '../../lib/auth/totp-enrolment.js';
import { loadConfig } from '../../lib/config.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { createMeTotpDeps } from '../../lib/wiring.js';

const deps = createMeTotpDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens']));

/** POST /api/v1/patient/me/totp (no body; step-up): a new secret, its otpauth:// URI and QR code, pending until confirmed. */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const data = await beginTotpEnrolment(caller, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Scan the QR code with your authenticator app, then confirm with the code it shows', data });
});
