import { randomUUID } from 'node:crypto';
import { TooManyRequestsError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { OutboxStore } from '../outbox/ports.js';
import type { RateLimit, RateLimiter } from '../rate-limit/ports.js';
import { normalizeEmail } from './normalize.js';
import type { Clock, OutboxMail, PatientRepository } from './ports.js';
import { liveLinkToken } from './link-token.js';
import { newVerification, verificationMail, verificationUrl } from './verification-token.js';

export interface RequestResendDeps {
  outbox: OutboxStore;
  rateLimiter: RateLimiter;
  identifiers: IdentifierDigests;
  clock: Clock;
}

export const RESEND_LIMIT: RateLimit = { limit: 3, windowSeconds: 3600 };

/**
 * Records a request for a new verification link and nothing else. The caller must learn nothing
 * about the address, not even from timing, so this does the same work for every address: count it
 * (keyed by a keyed digest, so asking does not store the address as a key) and queue the request.
 * Who the address belongs to is the outbox's business (issueVerificationResend).
 */
export async function requestVerificationResend(rawEmail: string, deps: RequestResendDeps): Promise<void> {
  const email = normalizeEmail(rawEmail);
  const now = deps.clock.now();
  const rateKey = `resend#${await deps.identifiers.current('email', email)}`;
  const decision = await deps.rateLimiter.hit(rateKey, RESEND_LIMIT, now);
  if (!decision.allowed) throw new TooManyRequestsError(decision.retryAfterSeconds);
  const id = randomUUID();
  await deps.outbox.enqueue({ kind: 'resend_request', id, to: email, createdAt: now.toISOString() });
  logger.info('verification resend requested', { outboxId: id });
}

export interface IssueResendDeps {
  repository: PatientRepository;
  outbox: OutboxStore;
  identifiers: IdentifierDigests;
  clock: Clock;
  verifyUrlBase: string;
}

/**
 * Acts on a resend request: an unverified patient whose link is still live (MIN_RESEND_LIFE_MS left)
 * gets that same link again, so whoever spends the address's quota cannot take the owner's working
 * link away; otherwise a fresh link (the previous one stops working), queued in the outbox with the
 * new token. Unknown and verified addresses get nothing. Returns the mail, for its immediate delivery.
 */
export async function issueVerificationResend(email: string, deps: IssueResendDeps): Promise<OutboxMail | undefined> {
  const patient = await deps.repository.findPatientByEmail(email);
  if (!patient || patient.email_verified) {
    logger.info('verification resend: nothing to send');
    return undefined;
  }
  const now = deps.clock.now();
  const live = await liveLinkToken(patient.verification_link, now, deps.identifiers);
  if (live) {
    const again = verificationMail(patient, now, verificationUrl(deps.verifyUrlBase, live));
    await deps.outbox.enqueue(again);
    logger.info('verification resend: live link sent again', { patientId: patient.id });
    return again;
  }
  const { token, mail } = await newVerification(patient, now, deps.verifyUrlBase, deps.identifiers);
  if (!(await deps.repository.replaceVerificationToken(patient, token, mail))) {
    logger.info('verification resend: patient changed meanwhile', { patientId: patient.id });
    return undefined;
  }
  logger.info('verification resend: new token issued', { patientId: patient.id });
  return mail;
}
