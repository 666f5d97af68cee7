import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { changePassword } from '../../lib/password/change-password.js';
import { validatePasswordChange } from '../../lib/patient/generated/password-change.js';
import { createPasswordChangeDeps } from '../../lib/wiring.js';

const deps = createPasswordChangeDeps(loadConfig(process.env, ['identifiers', 'tokens']));

export const handler = bearerJsonApi((headers) => authenticate(headers, deps), validatePasswordChange, async (event, caller) => {
  await changePassword(caller, event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Your password has been changed. Your other sessions were signed out.' });
});
