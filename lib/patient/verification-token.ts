import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_BYTES = 32;
export const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** A fresh single-use token: 32 random bytes as base64url (43 characters). */
export function newVerificationToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Only this digest is stored, so a leaked table cannot be used to verify anyone's email. */
export function hashVerificationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function verificationUrl(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}
