import { logger } from '../logging/logger.js';
import type { Clock, LinkKind, LinkState, PatientRepository } from './ports.js';
import { opaqueToken } from './registration-schema.js';
import { hashVerificationToken } from './verification-token.js';

export interface OpenLinkDeps {
  repository: Pick<PatientRepository, 'linkState'>;
  clock: Clock;
}

const TOKEN_SHAPE = new RegExp(opaqueToken.pattern);

/**
 * Opening a mailed link's page (GET): what the link would meet if it were used now, so the page can
 * say "already used" or "replaced" at once instead of after the patient typed a password. Only reads:
 * mail scanners prefetch links, and opening one must never spend it. The token is hashed as the
 * POST hashes it (a reset token has a verification token's shape and digest). A token the POST's
 * schema would refuse cannot be one of ours: unknown, without a read.
 */
export async function openLink(kind: LinkKind, token: string, deps: OpenLinkDeps): Promise<LinkState> {
  const state = token.length <= opaqueToken.maxLength && TOKEN_SHAPE.test(token)
    ? await deps.repository.linkState(kind, hashVerificationToken(token), deps.clock.now())
    : 'unknown';
  logger.info('link opened', { kind, outcome: state });
  return state;
}
