import { loadConfig } from '../../lib/config.js';
import { idempotencyKeyFrom, idempotent } from '../../lib/idempotency/idempotent.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { registerPatient, type RegistrationAttempt } from '../../lib/patient/register-patient.js';
import { registrationAttempt } from '../../lib/patient/registration-attempt.js';
import { validateRegistration } from '../../lib/validation/generated/register.js';
import { createRegisterDeps, type RegisterDeps } from '../../lib/wiring.js';

export const REGISTERED = 'Patient registered successfully. Verification email sent.';
export const REGISTERED_MAIL_PENDING =
  'Patient registered successfully. The verification email could not be sent yet; it will be retried automatically.';

export function createRegisterHandler(deps: RegisterDeps) {
  return jsonApi((body) => validateRegistration(body, deps.clock), async ({ body, headers }) => {
    const key = idempotencyKeyFrom(headers);
    const register = async (attempt?: RegistrationAttempt) => {
      const { patient, verificationEmailSent } = await registerPatient(body, deps, attempt);
      return jsonResponse(201, { success: true, message: verificationEmailSent ? REGISTERED : REGISTERED_MAIL_PENDING, data: patient });
    };
    if (!key) return register();
    const attempt = await registrationAttempt(body, key, deps.identifiers);
    return idempotent(deps.registrations, deps.clock, attempt.storeKey, attempt.fingerprint, () => register(attempt));
  });
}

export const handler = createRegisterHandler(createRegisterDeps(loadConfig(process.env, ['encryption', 'mail', 'identifiers'])));
