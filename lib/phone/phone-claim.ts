import { randomUUID } from 'node:crypto';
import { PhoneClaimCodeError, SmsBudgetExhaustedError, TooManyRequestsError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { OutboxSms, OutboxStore } from '../outbox/ports.js';
import { normalizePhone } from '../patient/normalize.js';
import type { AccountNoticeMail, Clock, PatientRepository, PhoneTakeover } from '../patient/ports.js';
import type { RateLimiter } from '../rate-limit/ports.js';
import { MAX_WRONG_TRIES, newPhoneCode, PHONE_CODE_LIMIT, PHONE_CODE_TTL_MS } from './phone-code.js';
import type { PhoneVerificationStore } from './ports.js';
import { spendSmsBudget, type SmsBudgets } from './sms-budget.js';

/*
 * Possession of a number wins (issue 19 item 4). Whoever typed a number first without proving it
 * holds it only until the number's owner proves it: POST /phone-claim mails nothing and says nothing,
 * the outbox mailer texts a claim code only when the number is held unproven, and a registration
 * carrying that code takes the number over in its own transaction (lib/patient/register-patient.ts).
 * The flow and its limits are described in lib/patient/README.md ("Phone numbers: possession wins").
 */

/** A claim code lives as long as a phone verification code, and allows as many wrong tries. */
export const CLAIM_CODE_TTL_MS = PHONE_CODE_TTL_MS;

/** The claim's key: the number's keyed digest (its reservation's), so the store never holds the number. */
export const phoneClaimKey = (identifiers: IdentifierDigests, phone: string) => identifiers.current('phone', phone);

/** What is digested: bound to the number's key, and apart from every patient's phone codes (`claim:`). */
export const phoneClaimDigestInput = (claimKey: string, code: string) => `claim:${claimKey}:${code}`;

/** The SMS: the code first, what it is for, and no link. */
export function phoneClaimText(code: string): string {
  return `${code} is your patient portal code to register with this phone number. It expires in 10 minutes. Never share it: we will not ask you for it.`;
}

export interface RequestPhoneClaimDeps {
  outbox: OutboxStore;
  rateLimiter: RateLimiter;
  identifiers: IdentifierDigests;
  clock: Clock;
}

/**
 * POST /phone-claim: the same work for every number (count it, queue the request), so neither the
 * answer nor its timing tells whether the number is registered or proven. The per-number limit is
 * phone verification's (3 in any hour, sliding), counted whatever the number's state.
 */
export async function requestPhoneClaim(rawPhone: string, deps: RequestPhoneClaimDeps): Promise<void> {
  const phone = normalizePhone(rawPhone) ?? rawPhone;
  const now = deps.clock.now();
  const decision = await deps.rateLimiter.slide(`phone-claim#${await phoneClaimKey(deps.identifiers, phone)}`, PHONE_CODE_LIMIT, now);
  if (!decision.allowed) throw new TooManyRequestsError(decision.retryAfterSeconds, 'Too many codes requested. Please try again later.');
  const id = randomUUID();
  await deps.outbox.enqueue({ kind: 'phone_claim_request', id, to: phone, createdAt: now.toISOString() });
  logger.info('phone claim requested', { outboxId: id });
}

export interface IssuePhoneClaimDeps {
  repository: PatientRepository;
  phoneCodes: PhoneVerificationStore;
  rateLimiter: RateLimiter;
  identifiers: IdentifierDigests;
  clock: Clock;
  smsBudgets: SmsBudgets;
}

/**
 * The outbox's half of a claim request: a claim code by SMS only when the number is held by a patient
 * who has not proven it (a free number needs no claim; a proven one stays its owner's). The day's
 * text budgets apply as to any code; a refused budget drops the request (it is logged and alarmed by
 * spendSmsBudget). Returns the queued SMS, for the mailer to send at once.
 */
export async function issuePhoneClaim(phone: string, deps: IssuePhoneClaimDeps): Promise<OutboxSms | undefined> {
  const holder = await deps.repository.findPhoneHolder(phone);
  if (!holder || holder.phone_verified) {
    logger.info('phone claim request handled: no code', { reason: holder ? 'proven' : 'not_held' });
    return undefined;
  }
  const now = deps.clock.now();
  try {
    await spendSmsBudget(deps.rateLimiter, phone, deps.smsBudgets, now);
  } catch (error) {
    if (error instanceof SmsBudgetExhaustedError) return undefined;
    throw error;
  }
  const code = newPhoneCode();
  const claimKey = await phoneClaimKey(deps.identifiers, phone);
  const digest = await deps.identifiers.current('phone-code', phoneClaimDigestInput(claimKey, code));
  // The SMS is filed under the holder: it concerns the number the holder's record names (and goes with it if that record goes).
  const sms: OutboxSms = { kind: 'phone_code_sms', id: randomUUID(), patientId: holder.id, to: phone, text: phoneClaimText(code), createdAt: now.toISOString() };
  await deps.phoneCodes.issueClaim({ claimKey, codeId: randomUUID(), digest, expiresAt: new Date(now.getTime() + CLAIM_CODE_TTL_MS), createdAt: now }, sms);
  logger.info('phone claim code issued', { outboxId: sms.id, patientId: holder.id });
  return sms;
}

export interface CheckPhoneClaimDeps {
  repository: PatientRepository;
  phoneCodes: PhoneVerificationStore;
  identifiers: IdentifierDigests;
  clock: Clock;
}

/**
 * A registration's claim code, checked before any password hashing (a wrong code costs a counted try,
 * never bcrypt). A right code answers what the registration's transaction must do: spend the claim
 * and, when the number has an unproven holder, take it from that holder (who is told by mail). The
 * number held proven is not claimable: the spec's 422 (DuplicateRegistrationError) as without a code.
 */
export async function checkPhoneClaim(phone: string, code: string, deps: CheckPhoneClaimDeps, newPatientId: string): Promise<PhoneTakeover | 'proven'> {
  const holder = await deps.repository.findPhoneHolder(phone);
  if (holder?.phone_verified) return 'proven';
  const claimKey = await phoneClaimKey(deps.identifiers, phone);
  const digests = await deps.identifiers.all('phone-code', phoneClaimDigestInput(claimKey, code));
  const now = deps.clock.now();
  const result = await deps.phoneCodes.attemptClaim(claimKey, digests, now, MAX_WRONG_TRIES);
  logger.info('phone claim code tried', { outcome: result.outcome, patientId: newPatientId });
  if (result.outcome === 'wrong') throw new PhoneClaimCodeError('wrong', result.triesLeft);
  if (result.outcome !== 'valid') throw new PhoneClaimCodeError(result.outcome);
  return {
    claimKey, codeId: result.codeId, now, maxWrongTries: MAX_WRONG_TRIES,
    ...(holder && { holder: { id: holder.id, notice: takenOverNotice(holder.id, holder.email, now) } }),
  };
}

/** The holder's notice, after a claim or a move (POST /me/phone/verify) took its number: no name, no number (lib/record/notice-mails.ts). */
export const takenOverNotice = (patientId: string, to: string, now: Date): AccountNoticeMail =>
  ({ kind: 'account_notice_email', id: randomUUID(), patientId, to, notice: 'phone_number_taken_over', createdAt: now.toISOString() });
