import type { MfaChallengeStore, TotpStore } from '../../auth/totp-ports.js';
import { mfaChallengeOf, secretColumn, totpFactorOf, type MfaChallengeRow, type TotpRow } from '../sql/second-factor-rows.js';
import { insertOutboxMail } from './outbox-row.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

/**
 * Authenticator apps on PostgreSQL (021_second_factors.sql). Each rule is the WHERE of the one write
 * that applies it: a pending secret is replaced only while not active, confirmed only while still the
 * pending one, a step is used only after the last used one, a recovery code is spent by its DELETE.
 */
export function createPostgresTotpStore(db: SqlExecutor): TotpStore {
  return {
    async read(patientId) {
      const { rows: [row] } = await callPostgres(() =>
        db.query<TotpRow>(
          `SELECT f.enrolment_id, f.active, f.secret, f.last_used_step, (SELECT count(*) FROM recovery_codes r WHERE r.patient_id = f.patient_id) AS codes_left
           FROM totp_factors f WHERE f.patient_id = $1`,
          [patientId],
        ));
      return row && totpFactorOf(row);
    },

    async begin(patientId, enrolmentId, secret, now) {
      const { rows } = await callPostgres(() =>
        db.query(
          `INSERT INTO totp_factors (patient_id, enrolment_id, active, secret, created_at) VALUES ($1, $2, false, $3, $4)
           ON CONFLICT (patient_id) DO UPDATE SET enrolment_id = EXCLUDED.enrolment_id, secret = EXCLUDED.secret,
             created_at = EXCLUDED.created_at, last_used_step = NULL
           WHERE NOT totp_factors.active RETURNING patient_id`,
          [patientId, enrolmentId, secretColumn(secret), now.toISOString()],
        ));
      return rows.length === 1;
    },

    activate: ({ patientId, enrolmentId, step, recoveryCodeDigests, notice, now }) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query(
            `UPDATE totp_factors SET active = true, last_used_step = $3, confirmed_at = $4
             WHERE patient_id = $1 AND enrolment_id = $2 AND NOT active RETURNING patient_id`,
            [patientId, enrolmentId, step, now.toISOString()],
          );
          if (rows.length === 0) return false;
          await tx.query('INSERT INTO recovery_codes (patient_id, digest) SELECT $1, unnest($2::text[])', [patientId, recoveryCodeDigests]);
          await insertOutboxMail(tx, notice);
          return true;
        })),

    async useStep(patientId, enrolmentId, step) {
      const { rows } = await callPostgres(() =>
        db.query(
          `UPDATE totp_factors SET last_used_step = $3
           WHERE patient_id = $1 AND enrolment_id = $2 AND active AND (last_used_step IS NULL OR last_used_step < $3) RETURNING patient_id`,
          [patientId, enrolmentId, step],
        ));
      return rows.length === 1;
    },

    async useRecoveryCode(patientId, digests) {
      const { rows } = await callPostgres(() =>
        db.query(
          `DELETE FROM recovery_codes r USING totp_factors f
           WHERE r.patient_id = $1 AND r.digest = ANY($2::text[]) AND f.patient_id = r.patient_id AND f.active RETURNING r.digest`,
          [patientId, digests],
        ));
      return rows.length > 0;
    },

    remove: (patientId, enrolmentId, notice) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query('DELETE FROM totp_factors WHERE patient_id = $1 AND enrolment_id = $2 RETURNING patient_id', [patientId, enrolmentId]);
          if (rows.length === 0) return false;
          await insertOutboxMail(tx, notice);
          return true;
        })),
  };
}

/** Older than any challenge still of use when one expiring at `expiresAt` is created (they live minutes). */
export const staleBefore = (expiresAt: Date) => new Date(expiresAt.getTime() - 24 * 3600_000).toISOString();

/** The second step of a sign-in on PostgreSQL: spent by an UPDATE conditioned on unspent and unexpired. */
export function createPostgresMfaChallengeStore(db: SqlExecutor): MfaChallengeStore {
  return {
    async create(c) {
      await callPostgres(() =>
        db.query(
          `INSERT INTO mfa_challenges (token_hash, patient_id, subject, device_id, device, password_tag, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [c.tokenHash, c.patientId, c.subject, c.deviceId ?? null, c.device ?? null, c.passwordTag, c.expiresAt.toISOString()],
        ));
      // Challenges dead for a day are removed by the next sign-ins, a few at a time: no sweeper to run.
      await callPostgres(() =>
        db.query('DELETE FROM mfa_challenges WHERE token_hash IN (SELECT token_hash FROM mfa_challenges WHERE expires_at < $1 LIMIT 10)', [staleBefore(c.expiresAt)]));
    },

    async read(tokenHash, now) {
      const { rows: [row] } = await callPostgres(() =>
        db.query<MfaChallengeRow>(
          `SELECT token_hash, patient_id, subject, device_id, device, password_tag, expires_at FROM mfa_challenges
           WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > $2`,
          [tokenHash, now.toISOString()],
        ));
      return row && mfaChallengeOf(row);
    },

    async spend(tokenHash, now) {
      const { rows } = await callPostgres(() =>
        db.query('UPDATE mfa_challenges SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > $2 RETURNING token_hash', [tokenHash, now.toISOString()]));
      return rows.length === 1;
    },
  };
}
