import type { PhoneCodeAttempt, PhoneMoveAttempt, PhoneVerificationStore } from '../../phone/ports.js';
import { insertOutboxMail } from './outbox-row.js';
import { lapsedBy } from './patient-row.js';
import { releaseUnprovenPhone } from './phone-takeover.js';
import { callPostgres, violatedUniqueConstraint } from './postgres-errors.js';
import type { SqlExecutor, SqlSession } from './sql-executor.js';

interface CodeRow {
  code_digest: string;
  expires_at: Date | string;
  failures: number;
  new_phone: string | null;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const PHONE_UNIQUE = 'patients_phone_number_unique';
const TAKEN = Symbol('taken');
/** The mover is gone or closed: rolled back, answered `none`. */
const GONE = Symbol('gone');
interface Moved {
  /** The account the number was taken from (it held it unproven). */
  takenFrom?: string;
}

/**
 * A right move code's write, under the row locks: a lapsed registration holding the number gives it
 * up (as at registration: where a later "possession wins" rule would go), then the UNIQUE constraint
 * on phone_number reserves it for this patient and the old value is released; a number another
 * account holds violates it and rolls the whole transaction back (`taken`).
 */
async function movePhone(tx: SqlSession, patientId: string, newPhone: string, now: Date, { notice, takenOverNotice }: PhoneMoveAttempt): Promise<Moved> {
  await tx.query(`DELETE FROM patients WHERE phone_number = $1 AND id <> $2 AND ${lapsedBy('$3::timestamptz')}`, [newPhone, patientId, now.toISOString()]);
  // Possession wins (issue 19 item 4): an account holding it unproven gives it up in this transaction.
  const holder = await releaseUnprovenPhone(tx, newPhone, now, { takerId: patientId });
  const { rows } = await tx.query(
    // A released number's patient (issue 19 item 4) holds a number again: the flag goes with the old one.
    'UPDATE patients SET phone_number = $2, phone_verified = true, phone_verified_at = $3, updated_at = $3, phone_number_released = false WHERE id = $1 AND is_active RETURNING id',
    [patientId, newPhone, now.toISOString()],
  ).catch((error: unknown) => {
    if (violatedUniqueConstraint(error) === PHONE_UNIQUE) throw TAKEN;
    throw error;
  });
  // Gone or closed: the takeover, if any, is rolled back with the rest.
  if (rows.length === 0) throw GONE;
  await insertOutboxMail(tx, notice);
  if (holder) await insertOutboxMail(tx, takenOverNotice(holder));
  return { takenFrom: holder?.id };
}

/** Phone codes on PostgreSQL: one row per patient, tried under a row lock (migration 009; move codes 018). */
export function createPostgresPhoneCodeStore(db: SqlExecutor): PhoneVerificationStore {
  /** One try: a move code only with `move` (POST /me/phone/verify), a verification code only without. */
  async function attempt(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number, move?: PhoneMoveAttempt): Promise<PhoneCodeAttempt> {
    try {
      return await callPostgres(() =>
        db.transaction(async (tx): Promise<PhoneCodeAttempt> => {
          const { rows: [code] } = await tx.query<CodeRow>('SELECT code_digest, expires_at, failures, new_phone FROM phone_codes WHERE patient_id = $1 FOR UPDATE', [patientId]);
          if (!code || (code.new_phone !== null) !== (move !== undefined)) return { outcome: 'none' };
          // Whole seconds, as DynamoDB's store judges it: expired from the start of expires_at's second.
          if (seconds(new Date(code.expires_at)) <= seconds(now)) return { outcome: 'expired' };
          if (code.failures >= maxWrongTries) return { outcome: 'exhausted' };
          if (digests.includes(code.code_digest)) {
            await tx.query('DELETE FROM phone_codes WHERE patient_id = $1', [patientId]);
            if (move && code.new_phone !== null) {
              const { takenFrom } = await movePhone(tx, patientId, code.new_phone, now, move);
              return { outcome: 'verified', ...(takenFrom && { takenFrom }) };
            }
            const { rows } = await tx.query(
              // A released number (taken over by its proven owner) is no longer this patient's to prove.
              'UPDATE patients SET phone_verified = true, phone_verified_at = $2, updated_at = $2 WHERE id = $1 AND NOT phone_number_released RETURNING id',
              [patientId, now.toISOString()],
            );
            return rows.length > 0 ? { outcome: 'verified' } : { outcome: 'none' };
          }
          const { rows: [counted] } = await tx.query<{ failures: number }>(
            'UPDATE phone_codes SET failures = failures + 1 WHERE patient_id = $1 RETURNING failures',
            [patientId],
          );
          return { outcome: 'wrong', triesLeft: maxWrongTries - counted!.failures };
        }));
    } catch (error) {
      // Rolled back: the code is still there, nothing moved.
      if (error === TAKEN) return { outcome: 'taken' };
      if (error === GONE) return { outcome: 'none' };
      throw error;
    }
  }

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
            `INSERT INTO phone_codes (patient_id, code_id, code_digest, expires_at, failures, created_at, new_phone) VALUES ($1, $2, $3, $4, 0, $5, $6)
             ON CONFLICT (patient_id) DO UPDATE SET code_id = EXCLUDED.code_id, code_digest = EXCLUDED.code_digest,
               expires_at = EXCLUDED.expires_at, failures = 0, created_at = EXCLUDED.created_at, new_phone = EXCLUDED.new_phone`,
            [code.patientId, code.codeId, code.digest, code.expiresAt.toISOString(), code.createdAt.toISOString(), code.newPhone ?? null],
          );
          await insertOutboxMail(tx, sms);
        })),

    attemptCode: (patientId, digests, now, maxWrongTries) => attempt(patientId, digests, now, maxWrongTries),
    attemptMoveCode: (patientId, digests, now, maxWrongTries, move) => attempt(patientId, digests, now, maxWrongTries, move),
  };
}
