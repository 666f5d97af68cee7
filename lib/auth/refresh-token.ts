import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: opaque to the client, 256 bits no one can guess. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this digest is stored (see lib/auth/session-ports.ts for why a fast unkeyed digest suffices). */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
