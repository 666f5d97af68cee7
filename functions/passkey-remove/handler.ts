import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { removePasskey } from '../../lib/passkey/own-passkeys.js';
import { createPasskeyRemoveDeps } from '../../lib/wiring.js';

const deps = createPasskeyRemoveDeps(loadConfig(process.env, ['identifiers', 'tokens']));

/** DELETE /me/passkeys/{id}: removes one of the caller's passkeys and signs out every other session. */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  await removePasskey(caller, event.pathParameters?.id ?? '', requestContextOf(event), deps);
  return jsonResponse(200, { success: true, message: 'Passkey removed. Your other sessions were signed out.' });
});
