import { loadConfig } from '../../lib/config.js';
import { idempotencyKeyFrom, idempotent, requestFingerprint } from '../../lib/idempotency/idempotent.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { normalizeEmail } from '../../lib/patient/normalize.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import { validateRegistration } from '../../lib/patient/validators.js';
import { createRegisterDeps, type RegisterDeps } from '../../lib/wiring.js';

export const REGISTERED = 'Patient registered successfully. Verification email sent.';
export const REGISTERED_MAIL_PENDING =
  'Patient registered successfully. The verification email could not be sent yet; it will be retried automatically.';

/**
 * Keys are the client's choice: scoped by a keyed digest of the address, one client's key can never
 * meet another client's request, and the stored key reveals no address.
 */
export async function registrationIdempotencyKey(deps: Pick<RegisterDeps, 'identifiers'>, email: string, key: string): Promise<string> {
  return `${await deps.identifiers.current('email', normalizeEmail(email))}/${key}`;
}

export function createRegisterHandler(deps: RegisterDeps) {
  return jsonApi((body) => validateRegistration(body, deps.clock), async ({ body, headers }) => {
    const key = idempotencyKeyFrom(headers);
    const fingerprint = requestFingerprint(body);
    const register = async () => {
      const { patient, verificationEmailSent } = await registerPatient(body, deps, key ? { key, fingerprint } : undefined);
      return jsonResponse(201, { success: true, message: verificationEmailSent ? REGISTERED : REGISTERED_MAIL_PENDING, data: patient });
    };
    if (!key) return register();
    return idempotent(deps.registrations, deps.clock, await registrationIdempotencyKey(deps, body.email, key), fingerprint, register);
  });
}

export const handler = createRegisterHandler(createRegisterDeps(loadConfig(process.env, ['encryption', 'mail', 'identifiers'])));
