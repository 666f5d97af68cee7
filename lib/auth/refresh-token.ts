import { createHash, randomBytes } from 'node:crypto';
import type { IdentifierDigests } from '../identifiers/ports.js';

/** 32 random bytes, base64url: opaque to the client, 256 bits no one can guess. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this digest is stored (see lib/auth/session-ports.ts for why a fast unkeyed digest suffices). */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The token a refresh token rotates into: an HMAC of it under the identifier keys, so a retry of the
 * same refresh (its answer lost, or two tabs at once) offers the store the same successor, and the
 * store can hand the retry that successor without keeping anything secret (only digests are stored).
 * Without the key nobody can compute a successor, so a stolen old token still only works by being
 * presented, where the store sees it. 32 bytes, base64url, like a random one.
 */
export async function successorRefreshToken(token: string, digests: IdentifierDigests): Promise<string> {
  const digest = await digests.current('refresh-successor', token);
  return Buffer.from(digest.slice(digest.indexOf('.') + 1), 'hex').toString('base64url');
}
