import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { linkToken, newLinkSeed } from './link-token.js';
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

/**
 * A fresh link for a patient (a token derived from a new seed, lib/patient/link-token.ts) and the
 * outbox mail that carries it; only the digest and the seed are stored.
 */
export async function newVerification(
  patient: { id: string; email: string; first_name: string },
  now: Date,
  verifyUrlBase: string,
  digests: IdentifierDigests,
): Promise<{ token: VerificationTokenRecord; mail: OutboxMail }> {
  const seed = newLinkSeed();
  const token = await linkToken(seed, digests);
  return {
    token: { tokenHash: hashVerificationToken(token), patientId: patient.id, expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS), seed },
    mail: verificationMail(patient, now, verificationUrl(verifyUrlBase, token)),
  };
}

/** The outbox mail carrying a verification link (new, or a live one sent again). */
export function verificationMail(patient: { id: string; email: string; first_name: string }, now: Date, verifyUrl: string): OutboxMail {
  return { kind: 'verification_email', id: randomUUID(), patientId: patient.id, to: patient.email, verifyUrl, createdAt: now.toISOString() };
}
