import type { MfaChallenge, TotpFactor } from '../../auth/totp-ports.js';
import type { EncryptedFields } from '../../patient/ports.js';

/** A totp_factors row with its count of unused recovery codes. */
export interface TotpRow {
  enrolment_id: string;
  active: boolean;
  secret: string;
  last_used_step: string | number | null;
  codes_left: string | number;
}

export const secretColumn = (secret: EncryptedFields): string => JSON.stringify(secret);

export function totpFactorOf(row: TotpRow): TotpFactor {
  return {
    enrolmentId: row.enrolment_id,
    active: row.active,
    secret: JSON.parse(row.secret) as EncryptedFields,
    ...(row.last_used_step !== null && { lastUsedStep: Number(row.last_used_step) }),
    recoveryCodesLeft: Number(row.codes_left),
  };
}

export interface MfaChallengeRow {
  token_hash: string;
  patient_id: string;
  subject: string;
  device_id: string | null;
  device: string | null;
  password_tag: string;
  expires_at: Date | string;
}

export function mfaChallengeOf(row: MfaChallengeRow): MfaChallenge {
  return {
    tokenHash: row.token_hash, patientId: row.patient_id, subject: row.subject, passwordTag: row.password_tag,
    expiresAt: new Date(row.expires_at),
    ...(row.device_id !== null && { deviceId: row.device_id }), ...(row.device !== null && { device: row.device }),
  };
}
