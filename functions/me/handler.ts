import { authenticate } from '../../lib/auth/authenticate.js';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { loadConfig } from '../../lib/config.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { createMeDeps } from '../../lib/wiring.js';

const deps = createMeDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens']));

export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const data = await readOwnRecord(caller, requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Patient record', data });
});
