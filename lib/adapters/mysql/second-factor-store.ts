import type { MfaChallengeStore, TotpStore } from '../../auth/totp-ports.js';
import { mfaChallengeOf, secretColumn, totpFactorOf, type MfaChallengeRow, type TotpRow } from '../sql/second-factor-rows.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';
import { insertOutboxMail } from './outbox-row.js';

/**
 * Authenticator apps on MySQL (012_second_factors.sql), as on PostgreSQL: each rule is the WHERE of
 * the one write that applies it (affected rows say whether it applied). Beginning again upserts and
 * keeps an active row as it is (IF(active, …)), then reads back, under the row's lock, whose it is.
 */
export function createMysqlTotpStore(db: MysqlExecutor): TotpStore {
  return {
    async read(patientId) {
      const [row] = await callMysql(() =>
        db.query<TotpRow>(
          `SELECT f.enrolment_id, f.active, f.secret, f.last_used_step, (SELECT COUNT(*) FROM recovery_codes r WHERE r.patient_id = f.patient_id) AS codes_left
           FROM totp_factors f WHERE f.patient_id = :patientId`,
          { patientId },
        ));
      return row && totpFactorOf(row);
    },

    begin: (patientId, enrolmentId, secret, now) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO totp_factors (patient_id, enrolment_id, active, secret, created_at) VALUES (:patientId, :enrolmentId, FALSE, :secret, :now)
             ON DUPLICATE KEY UPDATE last_used_step = IF(active, last_used_step, NULL), secret = IF(active, secret, :secret),
               created_at = IF(active, created_at, :now), enrolment_id = IF(active, enrolment_id, :enrolmentId)`,
            { patientId, enrolmentId, secret: secretColumn(secret), now },
          );
          const [row] = await tx.query<{ enrolment_id: string }>('SELECT enrolment_id FROM totp_factors WHERE patient_id = :patientId', { patientId });
          return row?.enrolment_id === enrolmentId;
        })),

    activate: ({ patientId, enrolmentId, step, recoveryCodeDigests, notice, now }) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          const activated = await tx.run(
            `UPDATE totp_factors SET active = TRUE, last_used_step = :step, confirmed_at = :now
             WHERE patient_id = :patientId AND enrolment_id = :enrolmentId AND NOT active`,
            { patientId, enrolmentId, step, now },
          );
          if (activated === 0) return false;
          await tx.run('INSERT INTO recovery_codes (patient_id, digest) VALUES ?', [recoveryCodeDigests.map((digest) => [patientId, digest])]);
          await insertOutboxMail(tx, notice);
          return true;
        })),

    async useStep(patientId, enrolmentId, step) {
      const used = await callMysql(() =>
        db.run(
          `UPDATE totp_factors SET last_used_step = :step
           WHERE patient_id = :patientId AND enrolment_id = :enrolmentId AND active AND (last_used_step IS NULL OR last_used_step < :step)`,
          { patientId, enrolmentId, step },
        ));
      return used === 1;
    },

    async useRecoveryCode(patientId, digests) {
      if (digests.length === 0) return false;
      const spent = await callMysql(() =>
        db.run(
          `DELETE r FROM recovery_codes r JOIN totp_factors f ON f.patient_id = r.patient_id
           WHERE r.patient_id = :patientId AND r.digest IN (:digests) AND f.active`,
          { patientId, digests },
        ));
      return spent > 0;
    },

    remove: (patientId, enrolmentId, notice) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          const removed = await tx.run('DELETE FROM totp_factors WHERE patient_id = :patientId AND enrolment_id = :enrolmentId', { patientId, enrolmentId });
          if (removed === 0) return false;
          await insertOutboxMail(tx, notice);
          return true;
        })),
  };
}

const staleBefore = (expiresAt: Date) => new Date(expiresAt.getTime() - 24 * 3600_000);

/** The second step of a sign-in on MySQL: spent by an UPDATE conditioned on unspent and unexpired. */
export function createMysqlMfaChallengeStore(db: MysqlExecutor): MfaChallengeStore {
  return {
    async create(c) {
      await callMysql(() =>
        db.run(
          `INSERT INTO mfa_challenges (token_hash, patient_id, subject, device_id, device, password_tag, expires_at)
           VALUES (:tokenHash, :patientId, :subject, :deviceId, :device, :passwordTag, :expiresAt)`,
          { tokenHash: c.tokenHash, patientId: c.patientId, subject: c.subject, deviceId: c.deviceId ?? null, device: c.device ?? null, passwordTag: c.passwordTag, expiresAt: c.expiresAt },
        ));
      // Challenges dead for a day are removed by the next sign-ins, a few at a time: no sweeper to run.
      await callMysql(() => db.run('DELETE FROM mfa_challenges WHERE expires_at < :before LIMIT 10', { before: staleBefore(c.expiresAt) }));
    },

    async read(tokenHash, now) {
      const [row] = await callMysql(() =>
        db.query<MfaChallengeRow>(
          `SELECT token_hash, patient_id, subject, device_id, device, password_tag, expires_at FROM mfa_challenges
           WHERE token_hash = :tokenHash AND spent_at IS NULL AND expires_at > :now`,
          { tokenHash, now },
        ));
      return row && mfaChallengeOf(row);
    },

    async spend(tokenHash, now) {
      const spent = await callMysql(() =>
        db.run('UPDATE mfa_challenges SET spent_at = :now WHERE token_hash = :tokenHash AND spent_at IS NULL AND expires_at > :now', { tokenHash, now }));
      return spent === 1;
    },
  };
}
