import { refreshSession } from '../../lib/auth/refresh-session.js';
import { loadConfig } from '../../lib/config.js';
import { jsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateRefreshToken } from '../../lib/patient/generated/token-refresh.js';
import { createRefreshDeps } from '../../lib/wiring.js';

const deps = createRefreshDeps(loadConfig(process.env, ['identifiers', 'tokens', 'token-signing']));

export const handler = jsonApi(validateRefreshToken, async (event) => {
  const data = await refreshSession(event.body.refresh_token, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Token refreshed', data });
});
