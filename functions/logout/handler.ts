import { authenticate } from '../../lib/auth/authenticate.js';
import { signOut } from '../../lib/auth/sign-out.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateRefreshToken } from '../../lib/patient/generated/logout.js';
import { createLogoutDeps } from '../../lib/wiring.js';

const deps = createLogoutDeps(loadConfig(process.env, ['identifiers', 'tokens']));

export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validateRefreshToken, async (event, caller) => {
  await signOut(caller, event.body.refresh_token, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Logout successful' });
});
