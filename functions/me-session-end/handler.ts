import { authenticate } from '../../lib/auth/authenticate.js';
import { endSession } from '../../lib/auth/own-sessions.js';
import { loadConfig } from '../../lib/config.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { createMeSessionEndDeps } from '../../lib/wiring.js';

const deps = createMeSessionEndDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** DELETE /me/sessions/{id}: ends one of the caller's sessions (its own current one too: a sign-out). */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  await endSession(caller, event.pathParameters?.id ?? '', requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Session ended' });
});
