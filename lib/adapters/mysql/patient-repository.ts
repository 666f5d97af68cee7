import { DuplicateRegistrationError, PhoneClaimCodeError } from '../../errors.js';
import type {
  OutboxMail, PasswordReset, PatientContact, PatientCredentials, PatientRecord, PatientRepository, PhoneHolder, PhoneTakeover, TokenConsumption, VerificationTokenRecord,
} from '../../patient/ports.js';
import { callMysql, violatedUniqueKey } from './mysql-errors.js';
import type { MysqlExecutor, MysqlSession } from './mysql-executor.js';
import { LINK_TABLES, linkStateOf } from '../sql/link-state.js';
import { CONTACT_COLUMNS, END_EMAIL_MOVE, FORGET_RESET_LINK, FORGET_VERIFICATION_LINK, profileColumns, registrationClash, toPatientContact, type ContactRow } from '../sql/patient-row.js';
import { insertOutboxMail } from './outbox-row.js';
import { releaseUnprovenPhone } from './phone-takeover.js';
import { endFamilies } from './session-store.js';
import { TAKE_BACK_COLUMNS, takeBackAssignments, takeBackOf, type TakeBackRow } from '../sql/take-back.js';
import { fromPatientRow, LAPSED_NOW, lapsedBefore, LIVE, nextSecond, SELECT_LIVE_PATIENT, toMysqlPatientRow, toSecond, yes } from './patient-row.js';

async function insertToken(tx: MysqlSession, table: 'verification_tokens' | 'password_reset_tokens', token: VerificationTokenRecord): Promise<void> {
  await tx.run(`INSERT INTO ${table} (token_hash, patient_id, expires_at) VALUES (:hash, :patientId, :expiresAt)`, {
    hash: token.tokenHash, patientId: token.patientId, expiresAt: toSecond(token.expiresAt),
  });
}

async function takenIdentifiers(db: MysqlSession, email: string, phone: string) {
  const [row] = await db.query<{ email: unknown; phone: unknown }>(
    `SELECT COALESCE(MAX(email = :email), 0) AS email, COALESCE(MAX(phone_number = :phone AND NOT phone_number_released), 0) AS phone
       FROM patients WHERE (email = :email OR phone_number = :phone) AND ${LIVE}`,
    { email, phone },
  );
  return { email: yes(row?.email), phone: yes(row?.phone) };
}

/** The token row and its patient's, both locked (token first, then patient, as every caller locks them). */
async function lockToken(tx: MysqlSession, table: 'verification_tokens' | 'password_reset_tokens', tokenHash: string, now: Date) {
  const [token] = await tx.query<{ patient_id: string; used: unknown; expired: unknown }>(
    `SELECT patient_id, used_at IS NOT NULL AS used, expires_at <= :now AS expired FROM ${table} WHERE token_hash = :hash FOR UPDATE`,
    { hash: tokenHash, now: toSecond(now) },
  );
  if (!token) return undefined;
  const [patient] = await tx.query<{ verification_token_hash: string | null; reset_token_hash: string | null; lapsed: unknown }>(
    `SELECT verification_token_hash, reset_token_hash, ${lapsedBefore(':line')} AS lapsed FROM patients WHERE id = :id FOR UPDATE`,
    { id: token.patient_id, line: nextSecond(now) },
  );
  return { patientId: token.patient_id, used: yes(token.used), expired: yes(token.expired), patient: patient && { ...patient, lapsed: yes(patient.lapsed) } };
}

/**
 * A registration's phone claim (issue 19 item 4), inside its transaction, as PostgreSQL's: the claim
 * spent only while still the code that was checked (its affected-row count); the holder's number
 * released only while it is still held unproven (phone-takeover.ts, under the holder's row lock).
 */
async function takeOverPhone(tx: MysqlSession, phone: string, takeover: PhoneTakeover): Promise<void> {
  const spent = await tx.run(
    'DELETE FROM phone_claims WHERE claim_key = :key AND code_id = :codeId AND failures < :max AND expires_at >= :liveFrom',
    { key: takeover.claimKey, codeId: takeover.codeId, max: takeover.maxWrongTries, liveFrom: nextSecond(takeover.now) },
  );
  if (spent === 0) throw new PhoneClaimCodeError('none');
  if (!takeover.holder) return;
  if (!(await releaseUnprovenPhone(tx, phone, takeover.now, { holderId: takeover.holder.id }))) throw new DuplicateRegistrationError({ email: false, phone: true });
  await insertOutboxMail(tx, takeover.holder.notice);
}

/**
 * PatientRepository on MySQL (and MariaDB): the PostgreSQL adapter's design, in SQL both accept.
 * Uniqueness is the UNIQUE indexes on the normalized email and phone; a duplicate (1062) names the
 * index in its message, which violatedUniqueKey reads. MySQL has no RETURNING: conditional writes
 * are judged by their affected-row count. Token consumption locks rows with SELECT … FOR UPDATE.
 */
export function createMysqlPatientRepository(db: MysqlExecutor): PatientRepository {
  return {
    findTakenIdentifiers: (email, phone) => callMysql(() => takenIdentifiers(db, email, phone)),

    async findPhoneHolder(phone) {
      const [row] = await callMysql(() =>
        db.query<PhoneHolder>(`SELECT id, email, phone_verified FROM patients WHERE phone_number = :phone AND NOT phone_number_released AND ${LIVE}`, { phone }),
      );
      return row && { id: row.id, email: row.email, phone_verified: yes(row.phone_verified) };
    },

    async createPatient(patient: PatientRecord, token: VerificationTokenRecord, mail: OutboxMail, takeover?: PhoneTakeover) {
      const row = {
        ...toMysqlPatientRow(patient), verification_token_hash: token.tokenHash, verification_link_seed: token.seed, verification_link_expires_at: token.expiresAt,
        ...(takeover && { phone_verified_at: takeover.now }),
      };
      const columns = Object.keys(row);
      try {
        await callMysql(() =>
          db.transaction(async (tx) => {
            // A lapsed registration holding the email or phone gives them up now, with everything
            // hanging off it (ON DELETE CASCADE). One DELETE per unique index: an OR would scan the table.
            for (const column of ['email', 'phone_number'] as const) {
              await tx.run(`DELETE FROM patients WHERE ${column} = :value AND ${LAPSED_NOW}`, { value: patient[column] });
            }
            if (takeover) await takeOverPhone(tx, patient.phone_number, takeover);
            await tx.run(`INSERT INTO patients (${columns.join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})`, row);
            await insertToken(tx, 'verification_tokens', token);
            await insertOutboxMail(tx, mail);
          }),
        );
      } catch (error) {
        throw (await registrationClash(violatedUniqueKey(error), () => callMysql(() => takenIdentifiers(db, patient.email, patient.phone_number)))) ?? error;
      }
    },

    consumeVerificationToken: (tokenHash, now): Promise<TokenConsumption> =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // Row locks, token then patient: a concurrent second click waits here, then reads used_at set.
          const locked = await lockToken(tx, 'verification_tokens', tokenHash, now);
          // A lapsed registration's link is as unknown as it will be once the cleanup deleted it.
          if (!locked?.patient || locked.patient.lapsed) return { outcome: 'unknown' };
          if (locked.used) return { outcome: 'used' };
          if (locked.expired) return { outcome: 'expired' };
          // Only the newest link verifies: a resend replaced the patient's token digest.
          if (locked.patient.verification_token_hash !== tokenHash) return { outcome: 'superseded' };
          await tx.run('UPDATE verification_tokens SET used_at = :at WHERE token_hash = :hash', { hash: tokenHash, at: now });
          // A verified email never lapses.
          await tx.run(
            `UPDATE patients SET email_verified = TRUE, email_verified_at = :at, updated_at = :at, lapses_at = NULL, ${FORGET_VERIFICATION_LINK} WHERE id = :id`,
            { id: locked.patientId, at: now },
          );
          return { outcome: 'verified', patientId: locked.patientId };
        }),
      ),

    async findPatientByEmail(email): Promise<PatientContact | undefined> {
      const [row] = await callMysql(() => db.query<ContactRow>(`SELECT ${CONTACT_COLUMNS} FROM patients WHERE email = :email AND ${LIVE}`, { email }));
      return row && toPatientContact(row);
    },

    replaceVerificationToken: (patient, token, mail) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // Compare-and-set on the newest digest (<=> is MySQL's null-safe "IS NOT DISTINCT FROM").
          const changed = await tx.run(
            `UPDATE patients SET verification_token_hash = :next, updated_at = :at, verification_link_seed = :seed, verification_link_expires_at = :expires
              WHERE id = :id AND NOT email_verified AND verification_token_hash <=> :expected AND ${LIVE}`,
            { id: patient.id, next: token.tokenHash, at: new Date(mail.createdAt), expected: patient.verification_token_hash ?? null, seed: token.seed, expires: token.expiresAt },
          );
          if (changed === 0) return false;
          await insertToken(tx, 'verification_tokens', token);
          await insertOutboxMail(tx, mail);
          return true;
        }),
      ),

    async findCredentials(email): Promise<PatientCredentials | undefined> {
      const [row] = await callMysql(() =>
        db.query<PatientCredentials>(`SELECT id, password_hash, email_verified, is_active FROM patients WHERE email = :email AND ${LIVE}`, { email }),
      );
      return row;
    },

    async getPatient(id) {
      const [row] = await callMysql(() => db.query(SELECT_LIVE_PATIENT, { id }));
      return row && fromPatientRow(row);
    },

    async updateProfile(write) {
      const columns = profileColumns(write);
      const assignments = Object.keys(columns).map((name) => `${name} = :${name}`);
      return callMysql(() =>
        db.transaction(async (tx) => {
          // One conditional statement: a concurrent write waits for the row lock, then finds the version moved.
          const changed = await tx.run(
            `UPDATE patients SET ${assignments.join(', ')}, updated_at = :updatedAt${write.reviewConfirmed ? ', profile_review_required = FALSE' : ''}
              WHERE id = :patientId AND updated_at = :expected AND is_active AND ${LIVE}`,
            { ...columns, patientId: write.patientId, expected: new Date(write.expectedUpdatedAt), updatedAt: new Date(write.updatedAt) },
          );
          if (changed !== 1) return false;
          if (write.notice) await insertOutboxMail(tx, write.notice);
          return true;
        }),
      );
    },

    async replacePasswordHash(patientId, expected, next, now) {
      // One statement: a concurrent replacement waits for this row lock, then finds the hash changed.
      const changed = await callMysql(() =>
        db.run(
          `UPDATE patients SET password_hash = :next, updated_at = :now
            WHERE id = :id AND password_hash = :expected AND NOT ${lapsedBefore(':line')}`,
          { id: patientId, expected, next, now, line: nextSecond(now) },
        ),
      );
      return changed === 1;
    },

    changePassword: ({ patientId, expectedHash, passwordHash, keepSessionId, notice, now }) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // Compare-and-set under the row lock; clearing reset_token_hash and the email-move pointer ends every outstanding link.
          const changed = await tx.run(
            `UPDATE patients SET password_hash = :next, reset_token_hash = NULL, ${END_EMAIL_MOVE}, updated_at = :now
              WHERE id = :id AND password_hash = :expected AND is_active AND NOT ${lapsedBefore(':line')}`,
            { id: patientId, expected: expectedHash, next: passwordHash, now, line: nextSecond(now) },
          );
          if (changed !== 1) return false;
          await endFamilies(tx, patientId, now, keepSessionId);
          await insertOutboxMail(tx, notice);
          return true;
        }),
      ),

    closeAccount: ({ patientId, expectedHash, notice, now }) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // Compare-and-set under the row lock: a concurrent close, change or reset waits, then finds it moved.
          // Clearing reset_token_hash ends every outstanding link: only one asked for after the close reopens.
          // A pending email move ends too: a reset reopening the account must not find it still usable.
          const changed = await tx.run(
            `UPDATE patients SET is_active = FALSE, reset_token_hash = NULL, ${END_EMAIL_MOVE}, updated_at = :now
              WHERE id = :id AND password_hash = :expected AND is_active AND NOT ${lapsedBefore(':line')}`,
            { id: patientId, expected: expectedHash, now, line: nextSecond(now) },
          );
          if (changed !== 1) return false;
          await endFamilies(tx, patientId, now);
          await insertOutboxMail(tx, notice);
          return true;
        }),
      ),

    async findVerificationToken(tokenHash) {
      const [row] = await callMysql(() =>
        db.query<{ patient_id: string }>(
          `SELECT t.patient_id FROM verification_tokens t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = :hash AND ${LIVE}`,
          { hash: tokenHash },
        ),
      );
      return row && { patientId: row.patient_id };
    },

    issueResetToken: (token, mail) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // The newest token wins: whatever the patient held before stops working.
          const changed = await tx.run(
            `UPDATE patients SET reset_token_hash = :hash, reset_link_seed = :seed, reset_link_expires_at = :expires WHERE id = :id AND ${LIVE}`,
            { id: token.patientId, hash: token.tokenHash, seed: token.seed, expires: token.expiresAt },
          );
          if (changed === 0) return false;
          await insertToken(tx, 'password_reset_tokens', token);
          await insertOutboxMail(tx, mail);
          return true;
        }),
      ),

    async findResetToken(tokenHash) {
      const [row] = await callMysql(() =>
        db.query<{ patient_id: string }>(
          `SELECT t.patient_id FROM password_reset_tokens t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = :hash AND ${LIVE}`,
          { hash: tokenHash },
        ),
      );
      return row && { patientId: row.patient_id };
    },

    resetPassword: ({ tokenHash, passwordHash, notice, now }): Promise<PasswordReset> =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // Row locks, token then patient: a concurrent reset with the same token waits, then reads used_at set.
          const locked = await lockToken(tx, 'password_reset_tokens', tokenHash, now);
          if (!locked?.patient || locked.patient.lapsed) return { outcome: 'unknown' };
          if (locked.used) return { outcome: 'used' };
          if (locked.expired) return { outcome: 'expired' };
          if (locked.patient.reset_token_hash !== tokenHash) return { outcome: 'superseded' };
          // The row is locked (lockToken): a never-verified registration is taken back in this transaction (issue 20).
          const [state] = await tx.query<TakeBackRow>(`SELECT ${TAKE_BACK_COLUMNS} FROM patients WHERE id = :id FOR UPDATE`, { id: locked.patientId });
          const takenBack = state && takeBackOf(state);
          if (takenBack) await tx.run(`UPDATE patients SET ${takeBackAssignments(takenBack)} WHERE id = :id`, { id: locked.patientId });
          await tx.run('UPDATE password_reset_tokens SET used_at = :at WHERE token_hash = :hash', { hash: tokenHash, at: now });
          // The mailbox is proven: the email is verified, a verified email never lapses, and a closed account reopens.
          // The pending email move ends with the old password.
          await tx.run(
            `UPDATE patients SET password_hash = :hash, email_verified = TRUE, email_verified_at = COALESCE(email_verified_at, :at),
                    is_active = TRUE, updated_at = :at, lapses_at = NULL, ${FORGET_RESET_LINK}, ${END_EMAIL_MOVE} WHERE id = :id`,
            { id: locked.patientId, hash: passwordHash, at: now },
          );
          // Whoever held a session with the old password loses it, in the same transaction.
          await endFamilies(tx, locked.patientId, now);
          await insertOutboxMail(tx, notice);
          return { outcome: 'reset', patientId: locked.patientId, ...(takenBack && { takenBack }) };
        }),
      ),

    async linkState(kind, tokenHash, now) {
      const { table, newestColumn } = LINK_TABLES[kind];
      // One read, no lock: it writes nothing, and a use racing it is judged by its own transaction.
      const [row] = await callMysql(() =>
        db.query<{ lapsed: unknown; used: unknown; expired: unknown; newest: unknown }>(
          `SELECT ${lapsedBefore(':line')} AS lapsed, t.used_at IS NOT NULL AS used, t.expires_at <= :now AS expired,
                  COALESCE(p.${newestColumn} = t.token_hash, 0) AS newest
             FROM ${table} t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = :hash`,
          { hash: tokenHash, now: toSecond(now), line: nextSecond(now) },
        ),
      );
      return linkStateOf(row && { lapsed: yes(row.lapsed), used: yes(row.used), expired: yes(row.expired), newest: yes(row.newest) });
    },

    removeLapsedRegistrations: (now) =>
      // Tokens, mails, sessions, counters and codes go with the patient (ON DELETE CASCADE).
      callMysql(() => db.run(`DELETE FROM patients WHERE ${lapsedBefore(':line')} AND NOT email_verified`, { line: nextSecond(now) })),
  };
}
