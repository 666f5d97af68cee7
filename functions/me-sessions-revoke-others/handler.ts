import { authenticate } from '../../lib/auth/authenticate.js';
import { endOtherSessions } from '../../lib/auth/own-sessions.js';
import { loadConfig } from '../../lib/config.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { createMeSessionsRevokeOthersDeps } from '../../lib/wiring.js';

const deps = createMeSessionsRevokeOthersDeps(loadConfig(process.env, ['identifiers', 'tokens']));

// No body to read: "the others" are every session but the one the access token names.
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  await endOtherSessions(caller, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Other sessions ended' });
});
