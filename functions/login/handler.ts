import type { SecondFactorMethod } from '../../lib/auth/second-factor-ports.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { loadConfig } from '../../lib/config.js';
import { signInContextOf } from '../../lib/http/device-summary.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { validateLogin } from '../../lib/patient/generated/login.js';
import { createLoginDeps, hashingAdmission } from '../../lib/wiring.js';

const deps = createLoginDeps(loadConfig(process.env, ['identifiers', 'tokens', 'token-signing', 'passkeys']));
const admission = hashingAdmission();

const secondStepMessage = (methods: SecondFactorMethod[]) =>
  methods.includes('totp') ? 'Enter the code from your authenticator app' + (methods.includes('passkey') ? ', or use your passkey' : '') : 'Confirm the sign-in with your passkey';

/** A sign-in compares with bcrypt: with the hashing pool full, it is refused (503 + Retry-After) before any read. */
export const handler = jsonApi(validateLogin, async (event) => {
  const release = admission.admit();
  try {
    const data = await signIn(event.body, signInContextOf(event), deps);
    // A second factor held: no session yet; the client sends the mfa_token and a code (or a passkey's assertion) to /login/mfa.
    if ('mfa_required' in data) return jsonResponse(200, { success: true, message: secondStepMessage(data.methods), data });
    return jsonResponse(200, { success: true, message: 'Login successful', data });
  } finally {
    release();
  }
});
