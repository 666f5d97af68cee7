import { createHash, randomBytes } from 'node:crypto';
import type { IdentifierDigests } from '../identifiers/ports.js';
import type { LiveLink } from './ports.js';

/**
 * Link tokens (verification, password reset) are derived, not drawn: token = HMAC-SHA-256 under the
 * identifier key ring of a random 32-byte seed, as base64url (43 characters, like any token). The
 * seed is stored on the patient beside the token's SHA-256 digest, so the mailer can give the owner
 * the same link again: a resend or forgot-password request inside a live link's life re-sends that
 * link instead of replacing it, and a stranger spending the address's quota can no longer replace
 * the owner's link each time (issue 19 item 10).
 *
 * Why an HMAC-derived token rather than the token encrypted under the data key: the seed alone (a
 * leaked table, a backup) is not a token; deriving needs the HMAC key, which never leaves KMS in AWS
 * (its per-version key is derived once per cold start, lib/adapters/kms/kms-identifier-key-ring.ts)
 * and which the register function and the outbox mailer already hold for their keyed digests, so no
 * new grant, no Decrypt call per mail and no envelope format. A rotation of the identifier key is
 * met by trying every version still in the ring; a link whose version is gone is simply replaced.
 */
const SEED_BYTES = 32;

/** A link re-sent with less left than this would die in the inbox: a fresh one is issued instead. */
export const MIN_RESEND_LIFE_MS = 5 * 60 * 1000;

export const newLinkSeed = () => randomBytes(SEED_BYTES).toString('base64url');

const tokenOf = (digest: string) => Buffer.from(digest.slice(digest.indexOf('.') + 1), 'hex').toString('base64url');

/** The token of a new link: derived under the current key version. */
export async function linkToken(seed: string, digests: IdentifierDigests): Promise<string> {
  return tokenOf(await digests.current('link', seed));
}

/**
 * The token of a live link, derived again from its seed, if the link may be re-sent: unexpired with
 * at least MIN_RESEND_LIFE_MS left, and a key version still in the ring gives back its digest.
 */
export async function liveLinkToken(link: LiveLink | undefined, now: Date, digests: IdentifierDigests): Promise<string | undefined> {
  if (!link || link.expiresAt.getTime() - now.getTime() < MIN_RESEND_LIFE_MS) return undefined;
  const tokens = (await digests.all('link', link.seed)).map(tokenOf);
  // The digest every link token is stored as (verification-token.ts: hashVerificationToken).
  return tokens.find((token) => createHash('sha256').update(token, 'utf8').digest('hex') === link.tokenHash);
}
