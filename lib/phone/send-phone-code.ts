import { randomUUID } from 'node:crypto';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { InvalidAccessTokenError, PhoneAlreadyVerifiedError, PhoneNumberReleasedError, SignInRefusedError, SmsBudgetExhaustedError, TooManyRequestsError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { Clock, PatientRepository } from '../patient/ports.js';
import type { RateLimiter } from '../rate-limit/ports.js';
import { newPhoneCode, PHONE_CODE_LIMIT, PHONE_CODE_TTL_MS, phoneCodeDigestInput, phoneCodeText } from './phone-code.js';
import type { PhoneVerificationStore } from './ports.js';
import { spendSmsBudget, type SmsBudgets } from './sms-budget.js';

export interface SendPhoneCodeDeps {
  repository: PatientRepository;
  phoneCodes: PhoneVerificationStore;
  rateLimiter: RateLimiter;
  identifiers: IdentifierDigests;
  auditor: AuditRecorder;
  clock: Clock;
  /** The day's text budgets, service-wide and per destination country (SMS pumping). */
  smsBudgets: SmsBudgets;
}

/**
 * POST /phone/verification: a new 6-digit code for the caller's stored phone number (the older code
 * stops working). The code is stored only as a keyed digest; its SMS is queued in the outbox in the
 * same write, and the outbox mailer sends it, so an SMS outage delays the code but never loses it.
 * Limits, in order: the patient's (3 codes in any hour, sliding), then the day's text budgets
 * (destination country, then the whole service), so one patient cannot spend the budget.
 */
export async function sendPhoneCode(caller: VerifiedAccessToken, context: RequestContext, deps: SendPhoneCodeDeps): Promise<void> {
  const patient = await deps.repository.getPatient(caller.patientId);
  if (!patient) throw new InvalidAccessTokenError('unknown_subject');
  if (!patient.is_active) {
    await deps.auditor.record(context, { action: 'phone_code_sent', outcome: 'failure', reason: 'inactive', patientId: patient.id });
    throw new SignInRefusedError('inactive');
  }
  if (patient.phone_verified) throw new PhoneAlreadyVerifiedError();
  // Its number now belongs to someone else: a code must never be texted to them for this account.
  if (patient.phone_number_released) throw new PhoneNumberReleasedError();
  await issuePhoneCode(patient.id, patient.phone_number, context, deps);
}

/**
 * A new code by SMS to `to` for the patient, under the limits and budgets above, replacing the
 * patient's older code (whatever it was for). `newPhone`: the code moves the patient to `to` once it
 * is proven (POST /me/phone); without it, it verifies the number already stored.
 */
export async function issuePhoneCode(patientId: string, to: string, context: RequestContext, deps: SendPhoneCodeDeps, { newPhone = false } = {}): Promise<void> {
  const patient = { id: patientId, phone_number: to };
  const now = deps.clock.now();
  const decision = await deps.rateLimiter.slide(`phone-code#${patient.id}`, PHONE_CODE_LIMIT, now);
  if (!decision.allowed) {
    await deps.auditor.record(context, { action: 'phone_code_sent', outcome: 'failure', reason: 'rate_limited', patientId: patient.id });
    throw new TooManyRequestsError(decision.retryAfterSeconds, 'Too many codes requested. Please try again later.');
  }
  try {
    await spendSmsBudget(deps.rateLimiter, patient.phone_number, deps.smsBudgets, now);
  } catch (error) {
    if (error instanceof SmsBudgetExhaustedError) {
      await deps.auditor.record(context, { action: 'phone_code_sent', outcome: 'failure', reason: `sms_budget_${error.budget}`, patientId: patient.id });
    }
    throw error;
  }
  const code = newPhoneCode();
  const digest = await deps.identifiers.current('phone-code', phoneCodeDigestInput(patient.id, code));
  const smsId = randomUUID();
  await deps.phoneCodes.issueCode(
    { patientId: patient.id, codeId: randomUUID(), digest, expiresAt: new Date(now.getTime() + PHONE_CODE_TTL_MS), createdAt: now, ...(newPhone && { newPhone: to }) },
    { kind: 'phone_code_sms', id: smsId, patientId: patient.id, to: patient.phone_number, text: phoneCodeText(code), createdAt: now.toISOString() },
  );
  await deps.auditor.record(context, { action: 'phone_code_sent', outcome: 'success', patientId: patient.id });
  logger.info('phone code issued', { patientId: patient.id, outboxId: smsId });
}
