import { loadConfig } from '../../lib/config.js';
import { idempotencyKeyFrom, idempotent } from '../../lib/idempotency/idempotent.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse, replayedResponse } from '../../lib/http/response.js';
import { registerPatient, type RegistrationAttempt } from '../../lib/patient/register-patient.js';
import { registrationAttempt } from '../../lib/patient/registration-attempt.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { createRegisterDeps, type RegisterDeps } from '../../lib/wiring.js';

/** The spec's message. The mail is in the outbox, committed with the patient: its delivery is guaranteed. */
export const REGISTERED = 'Patient registered successfully. Verification email sent.';

export function createRegisterHandler(deps: RegisterDeps) {
  return jsonApi((body) => validateRegistration(body, deps.clock), async ({ body, headers }) => {
    const key = idempotencyKeyFrom(headers);
    const register = async (attempt?: RegistrationAttempt) => {
      const { patient } = await registerPatient(body, deps, attempt);
      return jsonResponse(201, { success: true, message: REGISTERED, data: patient });
    };
    if (!key) return register();
    const attempt = await registrationAttempt(body, key, deps.identifiers);
    return idempotent(deps.registrations, deps.clock, attempt.storeKey, attempt.fingerprint, () => register(attempt), replayedResponse);
  });
}

export const handler = createRegisterHandler(createRegisterDeps(loadConfig(process.env, ['encryption', 'mail', 'identifiers'])));
