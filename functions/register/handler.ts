import { loadConfig } from '../../lib/config.js';
import { idempotencyKeyFrom, idempotent, requestFingerprint } from '../../lib/idempotency/idempotent.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import { validateRegistration } from '../../lib/patient/validators.js';
import { createRegisterDeps, type RegisterDeps } from '../../lib/wiring.js';

export const REGISTERED = 'Patient registered successfully. Verification email sent.';
export const REGISTERED_MAIL_PENDING =
  'Patient registered successfully. The verification email could not be sent yet; it will be retried automatically.';

export function createRegisterHandler(deps: RegisterDeps) {
  return jsonApi((body) => validateRegistration(body, deps.clock), async ({ body, headers }) => {
    const key = idempotencyKeyFrom(headers);
    const register = async () => {
      const { patient, verificationEmailSent } = await registerPatient(body, deps, { registrationKey: key });
      return jsonResponse(201, { success: true, message: verificationEmailSent ? REGISTERED : REGISTERED_MAIL_PENDING, data: patient });
    };
    return key ? idempotent(deps.registrations, deps.clock, key, requestFingerprint(body), register) : register();
  });
}

export const handler = createRegisterHandler(createRegisterDeps(loadConfig(process.env, ['encryption', 'mail'])));
