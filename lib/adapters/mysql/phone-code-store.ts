import type { PhoneCodeAttempt, PhoneMoveAttempt, PhoneVerificationStore } from '../../phone/ports.js';
import { callMysql, violatedUniqueKey } from './mysql-errors.js';
import type { MysqlExecutor, MysqlSession } from './mysql-executor.js';
import { insertOutboxMail } from './outbox-row.js';
import { lapsedBefore, nextSecond } from './patient-row.js';
import { releaseUnprovenPhone } from './phone-takeover.js';

interface CodeRow {
  code_digest: string;
  expires_at: Date;
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

/** A right move code's write, as in PostgreSQL: a lapsed holder gives the number up, the UNIQUE index reserves it. */
async function movePhone(tx: MysqlSession, patientId: string, newPhone: string, now: Date, { notice, takenOverNotice }: PhoneMoveAttempt): Promise<Moved> {
  await tx.run(`DELETE FROM patients WHERE phone_number = :phone AND id <> :patientId AND ${lapsedBefore(':line')}`, { phone: newPhone, patientId, line: nextSecond(now) });
  // Possession wins (issue 19 item 4): an account holding it unproven gives it up in this transaction.
  const holder = await releaseUnprovenPhone(tx, newPhone, now, { takerId: patientId });
  const moved = await tx.run(
    // A released number's patient (issue 19 item 4) holds a number again: the flag goes with the old one.
    'UPDATE patients SET phone_number = :phone, phone_verified = TRUE, phone_verified_at = :now, updated_at = :now, phone_number_released = FALSE WHERE id = :patientId AND is_active',
    { patientId, phone: newPhone, now },
  ).catch((error: unknown) => {
    if (violatedUniqueKey(error) === PHONE_UNIQUE) throw TAKEN;
    throw error;
  });
  // Gone or closed: the takeover, if any, is rolled back with the rest.
  if (moved === 0) throw GONE;
  await insertOutboxMail(tx, notice);
  if (holder) await insertOutboxMail(tx, takenOverNotice(holder));
  return { takenFrom: holder?.id };
}

/** Phone codes on MySQL: one row per patient, tried under a row lock (SELECT … FOR UPDATE), as in PostgreSQL. */
export function createMysqlPhoneCodeStore(db: MysqlExecutor): PhoneVerificationStore {
  /** One try: a move code only with `move` (POST /me/phone/verify), a verification code only without. */
  async function attempt(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number, move?: PhoneMoveAttempt): Promise<PhoneCodeAttempt> {
    try {
      return await callMysql(() =>
        db.transaction(async (tx): Promise<PhoneCodeAttempt> => {
          const [code] = await tx.query<CodeRow>('SELECT code_digest, expires_at, failures, new_phone FROM phone_codes WHERE patient_id = :patientId FOR UPDATE', { patientId });
          if (!code || (code.new_phone !== null) !== (move !== undefined)) return { outcome: 'none' };
          // Whole seconds, as DynamoDB's store judges it: expired from the start of expires_at's second.
          if (seconds(code.expires_at) <= seconds(now)) return { outcome: 'expired' };
          if (code.failures >= maxWrongTries) return { outcome: 'exhausted' };
          if (digests.includes(code.code_digest)) {
            await tx.run('DELETE FROM phone_codes WHERE patient_id = :patientId', { patientId });
            if (move && code.new_phone !== null) {
              const { takenFrom } = await movePhone(tx, patientId, code.new_phone, now, move);
              return { outcome: 'verified', ...(takenFrom && { takenFrom }) };
            }
            // A released number (taken over by its proven owner) is no longer this patient's to prove.
            const verified = await tx.run('UPDATE patients SET phone_verified = TRUE, phone_verified_at = :now, updated_at = :now WHERE id = :patientId AND NOT phone_number_released', { patientId, now });
            return verified > 0 ? { outcome: 'verified' } : { outcome: 'none' };
          }
          // We hold the row lock: the count after this UPDATE is ours plus one.
          await tx.run('UPDATE phone_codes SET failures = failures + 1 WHERE patient_id = :patientId', { patientId });
          return { outcome: 'wrong', triesLeft: maxWrongTries - (code.failures + 1) };
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
            `INSERT INTO phone_codes (patient_id, code_id, code_digest, expires_at, failures, created_at, new_phone)
             VALUES (:patientId, :codeId, :digest, :expiresAt, 0, :createdAt, :newPhone)
             ON DUPLICATE KEY UPDATE code_id = :codeId, code_digest = :digest, expires_at = :expiresAt, failures = 0, created_at = :createdAt, new_phone = :newPhone`,
            { ...code, newPhone: code.newPhone ?? null },
          );
          await insertOutboxMail(tx, sms);
        })),

    attemptCode: (patientId, digests, now, maxWrongTries) => attempt(patientId, digests, now, maxWrongTries),
    attemptMoveCode: (patientId, digests, now, maxWrongTries, move) => attempt(patientId, digests, now, maxWrongTries, move),
  };
}
