import { authenticate } from '../../lib/auth/authenticate.js';
import { listSessions } from '../../lib/auth/own-sessions.js';
import { loadConfig } from '../../lib/config.js';
import { readApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { createMeSessionsDeps } from '../../lib/wiring.js';

const deps = createMeSessionsDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** GET /me/sessions: the caller's live sessions, the one this request came from flagged `current`. */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const sessions = await listSessions(caller, deps);
  return jsonResponse(200, { success: true, message: 'Active sessions', data: { sessions } });
});
