import { createHash } from 'node:crypto';
import { TooManyRequestsError } from '../errors.js';
import { logger } from '../logging/logger.js';
import { deliverAfterCommit } from '../outbox/deliver-mail.js';
import type { OutboxStore } from '../outbox/ports.js';
import type { RateLimit, RateLimiter } from '../rate-limit/ports.js';
import { normalizeEmail } from './normalize.js';
import type { Clock, Mailer, PatientRepository } from './ports.js';
import { newVerification } from './verification-token.js';

export interface ResendVerificationDeps {
  repository: PatientRepository;
  outbox: OutboxStore;
  mailer: Mailer;
  rateLimiter: RateLimiter;
  clock: Clock;
  verifyUrlBase: string;
}

export const RESEND_LIMIT: RateLimit = { limit: 3, windowSeconds: 3600 };

/**
 * Sends a fresh verification link; the previous link stops working. The caller learns nothing about
 * whether the address is registered: unknown and already verified addresses are counted against the
 * same limit and get the same answer, and nothing is sent for them.
 */
export async function resendVerification(rawEmail: string, deps: ResendVerificationDeps): Promise<void> {
  const email = normalizeEmail(rawEmail);
  const now = deps.clock.now();
  // Keyed by a digest so that asking about an address does not store it.
  const rateKey = `resend#${createHash('sha256').update(email).digest('hex')}`;
  const decision = await deps.rateLimiter.hit(rateKey, RESEND_LIMIT, now);
  if (!decision.allowed) throw new TooManyRequestsError(decision.retryAfterSeconds);

  const patient = await deps.repository.findPatientByEmail(email);
  if (!patient || patient.email_verified) {
    logger.info('verification resend: nothing to send');
    return;
  }
  const { token, mail } = newVerification(patient, now, deps.verifyUrlBase);
  if (!(await deps.repository.replaceVerificationToken(patient, token, mail))) {
    logger.info('verification resend: patient changed meanwhile', { patientId: patient.id });
    return;
  }
  logger.info('verification resend: new token issued', { patientId: patient.id });
  await deliverAfterCommit(mail.id, patient.id, deps);
}
