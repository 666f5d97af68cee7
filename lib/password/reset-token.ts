import { randomUUID } from 'node:crypto';
import type { PasswordChangedMail, PasswordResetMail, ResetTokenRecord, SessionsEnded } from '../patient/ports.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { linkToken, newLinkSeed } from '../patient/link-token.js';
import { hashVerificationToken, verificationUrl } from '../patient/verification-token.js';

/** 30 minutes: long enough to open the mail, short enough that an old mailbox copy is useless. */
export const RESET_TOKEN_LIFETIME_MS = 30 * 60 * 1000;

/** Same shape and digest as a verification token (32 random bytes, base64url; SHA-256 stored). */
export const hashResetToken = hashVerificationToken;

/** A fresh reset link for a patient (derived from a new seed) and the outbox mail carrying it; only the digest and the seed are stored. */
export async function newPasswordReset(
  patient: { id: string; email: string; first_name: string },
  now: Date,
  resetUrlBase: string,
  digests: IdentifierDigests,
): Promise<{ token: ResetTokenRecord; mail: PasswordResetMail }> {
  const seed = newLinkSeed();
  const token = await linkToken(seed, digests);
  return {
    token: { tokenHash: hashResetToken(token), patientId: patient.id, expiresAt: new Date(now.getTime() + RESET_TOKEN_LIFETIME_MS), seed },
    mail: passwordResetMail(patient, now, verificationUrl(resetUrlBase, token)),
  };
}

/** The outbox mail carrying a reset link (new, or a live one sent again). */
export function passwordResetMail(patient: { id: string; email: string; first_name: string }, now: Date, resetUrl: string): PasswordResetMail {
  return { kind: 'password_reset_email', id: randomUUID(), patientId: patient.id, to: patient.email, resetUrl, createdAt: now.toISOString() };
}

export function passwordChangedNotice(patient: { id: string; email: string; first_name: string }, now: Date, sessionsEnded: SessionsEnded): PasswordChangedMail {
  return { kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: now.toISOString(), sessionsEnded };
}
