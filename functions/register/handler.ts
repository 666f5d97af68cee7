import { loadConfig } from '../../lib/config.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import { validateRegistration } from '../../lib/patient/validators.js';
import { createRegisterDeps } from '../../lib/wiring.js';

const deps = createRegisterDeps(loadConfig(process.env, ['encryption', 'mail']));

export const REGISTERED = 'Patient registered successfully. Verification email sent.';
export const REGISTERED_MAIL_FAILED =
  'Patient registered successfully. The verification email could not be sent; please request a new one.';

export const handler = jsonApi(validateRegistration, async ({ body }) => {
  const { patient, verificationEmailSent } = await registerPatient(body, deps);
  return jsonResponse(201, {
    success: true,
    message: verificationEmailSent ? REGISTERED : REGISTERED_MAIL_FAILED,
    data: patient,
  });
});
