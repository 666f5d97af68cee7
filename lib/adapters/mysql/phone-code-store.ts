import type { PhoneVerificationStore } from '../../phone/ports.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';
import { insertOutboxMail } from './outbox-row.js';

interface CodeRow {
  code_digest: string;
  expires_at: Date;
  failures: number;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Phone codes on MySQL: one row per patient, tried under a row lock (SELECT … FOR UPDATE), as in PostgreSQL. */
export function createMysqlPhoneCodeStore(db: MysqlExecutor): PhoneVerificationStore {
  return {
    issueClaim: (claim, sms) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO phone_claims (claim_key, code_id, code_digest, expires_at, failures, created_at)
             VALUES (:claimKey, :codeId, :digest, :expiresAt, 0, :createdAt)
             ON DUPLICATE KEY UPDATE code_id = :codeId, code_digest = :digest, expires_at = :expiresAt, failures = 0, created_at = :createdAt`,
            { ...claim },
          );
          await insertOutboxMail(tx, sms);
        })),

    attemptClaim: (claimKey, digests, now, maxWrongTries) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          const [claim] = await tx.query<CodeRow & { code_id: string }>(
            'SELECT code_id, code_digest, expires_at, failures FROM phone_claims WHERE claim_key = :claimKey FOR UPDATE', { claimKey },
          );
          if (!claim) return { outcome: 'none' as const };
          if (seconds(claim.expires_at) <= seconds(now)) return { outcome: 'expired' as const };
          if (claim.failures >= maxWrongTries) return { outcome: 'exhausted' as const };
          // A right code is only checked here: the registration's transaction spends it.
          if (digests.includes(claim.code_digest)) return { outcome: 'valid' as const, codeId: claim.code_id };
          await tx.run('UPDATE phone_claims SET failures = failures + 1 WHERE claim_key = :claimKey', { claimKey });
          return { outcome: 'wrong' as const, triesLeft: maxWrongTries - (claim.failures + 1) };
        })),

    issueCode: (code, sms) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO phone_codes (patient_id, code_id, code_digest, expires_at, failures, created_at)
             VALUES (:patientId, :codeId, :digest, :expiresAt, 0, :createdAt)
             ON DUPLICATE KEY UPDATE code_id = :codeId, code_digest = :digest, expires_at = :expiresAt, failures = 0, created_at = :createdAt`,
            { ...code },
          );
          await insertOutboxMail(tx, sms);
        })),

    attemptCode: (patientId, digests, now, maxWrongTries) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          const [code] = await tx.query<CodeRow>('SELECT code_digest, expires_at, failures FROM phone_codes WHERE patient_id = :patientId FOR UPDATE', { patientId });
          if (!code) return { outcome: 'none' as const };
          // Whole seconds, as DynamoDB's store judges it: expired from the start of expires_at's second.
          if (seconds(code.expires_at) <= seconds(now)) return { outcome: 'expired' as const };
          if (code.failures >= maxWrongTries) return { outcome: 'exhausted' as const };
          if (digests.includes(code.code_digest)) {
            await tx.run('DELETE FROM phone_codes WHERE patient_id = :patientId', { patientId });
            const verified = await tx.run('UPDATE patients SET phone_verified = TRUE, phone_verified_at = :now, updated_at = :now WHERE id = :patientId AND NOT phone_number_released', { patientId, now });
            return verified > 0 ? { outcome: 'verified' as const } : { outcome: 'none' as const };
          }
          // We hold the row lock: the count after this UPDATE is ours plus one.
          await tx.run('UPDATE phone_codes SET failures = failures + 1 WHERE patient_id = :patientId', { patientId });
          return { outcome: 'wrong' as const, triesLeft: maxWrongTries - (code.failures + 1) };
        })),
  };
}
