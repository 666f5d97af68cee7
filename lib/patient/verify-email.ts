import { GoneTokenError, InvalidTokenError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock, PatientRepository } from './ports.js';
import { hashVerificationToken } from './verification-token.js';

export interface VerifyEmailDeps {
  repository: PatientRepository;
  clock: Clock;
}

/** Consumes a verification token: the patient's email is verified and the token can never be used again. */
export async function verifyEmail(token: string, deps: VerifyEmailDeps): Promise<{ patientId: string }> {
  const result = await deps.repository.consumeVerificationToken(hashVerificationToken(token), deps.clock.now());
  logger.info('email verification', { outcome: result.outcome, ...(result.outcome === 'verified' && { patientId: result.patientId }) });
  switch (result.outcome) {
    case 'verified':
      return { patientId: result.patientId };
    case 'unknown':
      throw new InvalidTokenError();
    case 'expired':
    case 'used':
    case 'superseded':
      throw new GoneTokenError(result.outcome);
  }
}
