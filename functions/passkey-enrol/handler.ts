import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { enrolPasskey } from '../../lib/passkey/enrol-passkey.js';
import { validatePasskeyEnrol } from '../../lib/patient/generated/passkey-enrol.js';
import { createPasskeyEnrolDeps } from '../../lib/wiring.js';

const deps = createPasskeyEnrolDeps(loadConfig(process.env, ['identifiers', 'tokens', 'passkeys']));

/** POST /me/passkeys: the browser's answer to the creation options; 201 with the stored passkey. */
export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validatePasskeyEnrol, async (event, caller) => {
  const passkey = await enrolPasskey(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(201, { success: true, message: 'Passkey added', data: { passkey } });
});
