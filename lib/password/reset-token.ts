import { randomUUID } from 'node:crypto';
import type { PasswordChangedMail, PasswordResetMail, ResetTokenRecord, SessionsEnded } from '../patient/ports.js';
import { hashVerificationToken, newVerificationToken, verificationUrl } from '../patient/verification-token.js';

/** 30 minutes: long enough to open the mail, short enough that an old mailbox copy is useless. */
export const RESET_TOKEN_LIFETIME_MS = 30 * 60 * 1000;

/** Same shape and digest as a verification token (32 random bytes, base64url; SHA-256 stored). */
export const hashResetToken = hashVerificationToken;

/** A fresh reset token for a patient and the outbox mail carrying its link; only the digest is stored. */
export function newPasswordReset(
  patient: { id: string; email: string; first_name: string },
  now: Date,
  resetUrlBase: string,
): { token: ResetTokenRecord; mail: PasswordResetMail } {
  const token = newVerificationToken();
  return {
    token: { tokenHash: hashResetToken(token), patientId: patient.id, expiresAt: new Date(now.getTime() + RESET_TOKEN_LIFETIME_MS) },
    mail: {
      kind: 'password_reset_email',
      id: randomUUID(),
      patientId: patient.id,
      to: patient.email,
      firstName: patient.first_name,
      resetUrl: verificationUrl(resetUrlBase, token),
      createdAt: now.toISOString(),
    },
  };
}

export function passwordChangedNotice(patient: { id: string; email: string; first_name: string }, now: Date, sessionsEnded: SessionsEnded): PasswordChangedMail {
  return { kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: now.toISOString(), sessionsEnded };
}
