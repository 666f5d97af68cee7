import { signIn } from '../../lib/auth/sign-in.js';
import { loadConfig } from '../../lib/config.js';
import { jsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateLogin } from '../../lib/patient/generated/login.js';
import { createLoginDeps } from '../../lib/wiring.js';

const deps = createLoginDeps(loadConfig(process.env, ['identifiers', 'tokens']));

export const handler = jsonApi(validateLogin, async (event) => {
  const data = await signIn(event.body, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Login successful', data });
});
