import { randomUUID } from 'node:crypto';
import { TooManyRequestsError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { OutboxStore } from '../outbox/ports.js';
import { normalizeEmail } from '../patient/normalize.js';
import type { Clock, PasswordResetMail, PatientRepository } from '../patient/ports.js';
import type { RateLimit, RateLimiter } from '../rate-limit/ports.js';
import { liveLinkToken } from '../patient/link-token.js';
import { verificationUrl } from '../patient/verification-token.js';
import { newPasswordReset, passwordResetMail } from './reset-token.js';

export interface RequestPasswordResetDeps {
  outbox: OutboxStore;
  rateLimiter: RateLimiter;
  identifiers: IdentifierDigests;
  clock: Clock;
}

export const RESET_REQUEST_LIMIT: RateLimit = { limit: 3, windowSeconds: 3600 };

/**
 * Records a forgot-password request and nothing else, the same work for every address (as
 * requestVerificationResend): counted under a keyed digest of the address, then queued. Whether the
 * address is anyone's is the outbox's business (issuePasswordReset), so neither the answer nor its
 * timing tells.
 */
export async function requestPasswordReset(rawEmail: string, deps: RequestPasswordResetDeps): Promise<void> {
  const email = normalizeEmail(rawEmail);
  const now = deps.clock.now();
  const rateKey = `password-reset#${await deps.identifiers.current('email', email)}`;
  const decision = await deps.rateLimiter.hit(rateKey, RESET_REQUEST_LIMIT, now);
  if (!decision.allowed) throw new TooManyRequestsError(decision.retryAfterSeconds);
  const id = randomUUID();
  await deps.outbox.enqueue({ kind: 'password_reset_request', id, to: email, createdAt: now.toISOString() });
  logger.info('password reset requested', { outboxId: id });
}

export interface IssuePasswordResetDeps {
  repository: PatientRepository;
  outbox: OutboxStore;
  identifiers: IdentifierDigests;
  clock: Clock;
  resetUrlBase: string;
}

/**
 * Acts on a forgot-password request: a registered patient, verified or not (a squatted address's
 * owner holds an unverified account someone else registered), gets a fresh link, the older one
 * stops working; an unknown address gets nothing. A patient whose reset link is still live
 * (MIN_RESEND_LIFE_MS left, unused) gets that same link again instead, so a stranger spending the
 * quota cannot keep replacing the owner's link. Returns the mail, for its immediate delivery.
 */
export async function issuePasswordReset(email: string, deps: IssuePasswordResetDeps): Promise<PasswordResetMail | undefined> {
  const patient = await deps.repository.findPatientByEmail(email);
  if (!patient) {
    logger.info('password reset: nothing to send');
    return undefined;
  }
  const now = deps.clock.now();
  const live = await liveLinkToken(patient.reset_link, now, deps.identifiers);
  if (live) {
    const again = passwordResetMail(patient, now, verificationUrl(deps.resetUrlBase, live));
    await deps.outbox.enqueue(again);
    logger.info('password reset: live link sent again', { patientId: patient.id });
    return again;
  }
  const { token, mail } = await newPasswordReset(patient, now, deps.resetUrlBase, deps.identifiers);
  if (!(await deps.repository.issueResetToken(token, mail))) {
    logger.info('password reset: patient gone meanwhile', { patientId: patient.id });
    return undefined;
  }
  logger.info('password reset: token issued', { patientId: patient.id });
  return mail;
}
