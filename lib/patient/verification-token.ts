import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { OutboxMail, VerificationTokenRecord } from './ports.js';

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

/** A fresh token for a patient and the outbox mail that carries its link; only the digest is stored. */
export function newVerification(
  patient: { id: string; email: string; first_name: string },
  now: Date,
  verifyUrlBase: string,
): { token: VerificationTokenRecord; mail: OutboxMail } {
  const token = newVerificationToken();
  return {
    token: { tokenHash: hashVerificationToken(token), patientId: patient.id, expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS) },
    mail: {
      kind: 'verification_email',
      id: randomUUID(),
      patientId: patient.id,
      to: patient.email,
      firstName: patient.first_name,
      verifyUrl: verificationUrl(verifyUrlBase, token),
      createdAt: now.toISOString(),
    },
  };
}
