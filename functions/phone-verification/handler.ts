import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { sendPhoneCode } from '../../lib/phone/send-phone-code.js';
import { createPhoneVerificationDeps } from '../../lib/wiring.js';

const deps = createPhoneVerificationDeps(loadConfig(process.env, ['identifiers', 'tokens', 'sms-budget']));

/** 202: the code is stored and its SMS queued; the outbox mailer sends it (seconds, or later during an SMS outage). */
export const CODE_QUEUED = 'A verification code is on its way to your phone. It is valid for 10 minutes.';

// No body to read: the code goes to the phone number on record, never to one named in the request.
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  await sendPhoneCode(caller, requestContextOf(event), deps);
  return jsonResponse(202, { success: true, message: CODE_QUEUED });
});
