import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { GonePhoneCodeError, InvalidAccessTokenError, SignInRefusedError, WrongPhoneCodeError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { Clock, PatientRepository } from '../patient/ports.js';
import { MAX_WRONG_TRIES, phoneCodeDigestInput } from './phone-code.js';
import type { PhoneVerificationStore } from './ports.js';

export interface VerifyPhoneDeps {
  repository: PatientRepository;
  phoneCodes: PhoneVerificationStore;
  identifiers: IdentifierDigests;
  auditor: AuditRecorder;
  clock: Clock;
}

/**
 * POST /phone/verify: checks the caller's code; the right one marks the phone verified. A phone that
 * is verified already answers success whatever the code (a retry whose first answer was lost must
 * not fail; there is nothing left to protect), and so does a try that lost the race to a concurrent
 * right one.
 */
export async function verifyPhone(caller: VerifiedAccessToken, code: string, context: RequestContext, deps: VerifyPhoneDeps): Promise<void> {
  const patient = await deps.repository.getPatient(caller.patientId);
  if (!patient) throw new InvalidAccessTokenError('unknown_subject');
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'phone_verification', outcome, patientId: patient.id, ...(reason && { reason }) });
  if (!patient.is_active) {
    await audit('failure', 'inactive');
    throw new SignInRefusedError('inactive');
  }
  if (patient.phone_verified) return;
  // Every key version in use: a code issued just before a rotation still matches.
  const digests = await deps.identifiers.all('phone-code', phoneCodeDigestInput(patient.id, code));
  const result = await deps.phoneCodes.attemptCode(patient.id, digests, deps.clock.now(), MAX_WRONG_TRIES);
  logger.info('phone code tried', { patientId: patient.id, outcome: result.outcome });
  switch (result.outcome) {
    case 'verified':
      await audit('success');
      return;
    case 'wrong':
      await audit('failure', 'wrong_code');
      throw new WrongPhoneCodeError(result.triesLeft);
    case 'none':
      if ((await deps.repository.getPatient(patient.id))?.phone_verified) return;
      await audit('failure', 'no_code');
      throw new GonePhoneCodeError('none');
    case 'expired':
    case 'exhausted':
      await audit('failure', result.outcome);
      throw new GonePhoneCodeError(result.outcome);
  }
}
