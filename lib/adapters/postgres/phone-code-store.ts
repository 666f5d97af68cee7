import type { PhoneVerificationStore } from '../../phone/ports.js';
import { insertOutboxMail } from './outbox-row.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

interface CodeRow {
  code_digest: string;
  expires_at: Date | string;
  failures: number;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Phone codes on PostgreSQL: one row per patient, tried under a row lock (migration 009). */
export function createPostgresPhoneCodeStore(db: SqlExecutor): PhoneVerificationStore {
  return {
    issueClaim: (claim, sms) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO phone_claims (claim_key, code_id, code_digest, expires_at, failures, created_at) VALUES ($1, $2, $3, $4, 0, $5)
             ON CONFLICT (claim_key) DO UPDATE SET code_id = EXCLUDED.code_id, code_digest = EXCLUDED.code_digest,
               expires_at = EXCLUDED.expires_at, failures = 0, created_at = EXCLUDED.created_at`,
            [claim.claimKey, claim.codeId, claim.digest, claim.expiresAt.toISOString(), claim.createdAt.toISOString()],
          );
          await insertOutboxMail(tx, sms);
        })),

    attemptClaim: (claimKey, digests, now, maxWrongTries) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          const { rows: [claim] } = await tx.query<CodeRow & { code_id: string }>(
            'SELECT code_id, code_digest, expires_at, failures FROM phone_claims WHERE claim_key = $1 FOR UPDATE', [claimKey],
          );
          if (!claim) return { outcome: 'none' as const };
          if (seconds(new Date(claim.expires_at)) <= seconds(now)) return { outcome: 'expired' as const };
          if (claim.failures >= maxWrongTries) return { outcome: 'exhausted' as const };
          // A right code is only checked here: the registration's transaction spends it.
          if (digests.includes(claim.code_digest)) return { outcome: 'valid' as const, codeId: claim.code_id };
          const { rows: [counted] } = await tx.query<{ failures: number }>(
            'UPDATE phone_claims SET failures = failures + 1 WHERE claim_key = $1 RETURNING failures', [claimKey],
          );
          return { outcome: 'wrong' as const, triesLeft: maxWrongTries - counted!.failures };
        })),

    issueCode: (code, sms) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO phone_codes (patient_id, code_id, code_digest, expires_at, failures, created_at) VALUES ($1, $2, $3, $4, 0, $5)
             ON CONFLICT (patient_id) DO UPDATE SET code_id = EXCLUDED.code_id, code_digest = EXCLUDED.code_digest,
               expires_at = EXCLUDED.expires_at, failures = 0, created_at = EXCLUDED.created_at`,
            [code.patientId, code.codeId, code.digest, code.expiresAt.toISOString(), code.createdAt.toISOString()],
          );
          await insertOutboxMail(tx, sms);
        })),

    attemptCode: (patientId, digests, now, maxWrongTries) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          const { rows: [code] } = await tx.query<CodeRow>('SELECT code_digest, expires_at, failures FROM phone_codes WHERE patient_id = $1 FOR UPDATE', [patientId]);
          if (!code) return { outcome: 'none' as const };
          // Whole seconds, as DynamoDB's store judges it: expired from the start of expires_at's second.
          if (seconds(new Date(code.expires_at)) <= seconds(now)) return { outcome: 'expired' as const };
          if (code.failures >= maxWrongTries) return { outcome: 'exhausted' as const };
          if (digests.includes(code.code_digest)) {
            await tx.query('DELETE FROM phone_codes WHERE patient_id = $1', [patientId]);
            const { rows } = await tx.query(
              // A released number (taken over by its proven owner) is no longer this patient's to prove.
              'UPDATE patients SET phone_verified = true, phone_verified_at = $2, updated_at = $2 WHERE id = $1 AND NOT phone_number_released RETURNING id',
              [patientId, now.toISOString()],
            );
            return rows.length > 0 ? { outcome: 'verified' as const } : { outcome: 'none' as const };
          }
          const { rows: [counted] } = await tx.query<{ failures: number }>(
            'UPDATE phone_codes SET failures = failures + 1 WHERE patient_id = $1 RETURNING failures',
            [patientId],
          );
          return { outcome: 'wrong' as const, triesLeft: maxWrongTries - counted!.failures };
        })),
  };
}
