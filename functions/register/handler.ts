import { loadConfig } from '../../lib/config.js';
import { idempotencyKeyFrom, idempotent } from '../../lib/idempotency/idempotent.js';
import { jsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { answerBeforeWriteDeadline, guardWrites } from '../../lib/http/write-deadline.js';
import { jsonResponse, replayedResponse } from '../../lib/http/response.js';
import { registerPatient, type RegistrationAttempt } from '../../lib/patient/register-patient.js';
import { registrationAttempt } from '../../lib/patient/registration-attempt.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { createRegisterDeps, type RegisterDeps } from '../../lib/wiring.js';

/** The spec's message. The mail is in the outbox, committed with the patient: its delivery is guaranteed. */
export const REGISTERED = 'Patient registered successfully. Verification email sent.';

/**
 * A valid request first takes its place in the hashing pool (a full pool: 503 + Retry-After, nothing
 * read or written), then runs against the deadline: a 503 before the patient's write begins means it
 * never begins; once it has begun, the answer is its outcome (lib/http/write-deadline.ts).
 */
export function createRegisterHandler(deps: RegisterDeps) {
  return jsonApi((body) => validateRegistration(body, deps.clock), async (event, context) => {
    const { body, headers } = event;
    const release = deps.admission.admit();
    return answerBeforeWriteDeadline(context, async (write) => {
      try {
        const guarded = { ...deps, repository: guardWrites(deps.repository, write, ['createPatient']) };
        const key = idempotencyKeyFrom(headers);
        const register = async (attempt?: RegistrationAttempt) => {
          const { patient } = await registerPatient(body, guarded, attempt, requestContextOf(event));
          return jsonResponse(201, { success: true, message: REGISTERED, data: patient });
        };
        if (!key) return await register();
        const attempt = await registrationAttempt(body, key, deps.identifiers);
        return await idempotent(deps.registrations, deps.clock, attempt.storeKey, attempt.fingerprint, () => register(attempt), replayedResponse);
      } finally {
        release();
      }
    });
  }, { deadline: 'handler' });
}

export const handler = createRegisterHandler(createRegisterDeps(loadConfig(process.env, ['encryption', 'mail', 'identifiers'])));
