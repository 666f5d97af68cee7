import { DuplicateRegistrationError, PhoneClaimCodeError } from '../../errors.js';
import type {
  OutboxMail, PasswordReset, PatientContact, PatientCredentials, PatientRecord, PatientRepository, PhoneHolder, PhoneTakeover, TokenConsumption, VerificationTokenRecord,
} from '../../patient/ports.js';
import { LINK_TABLES, linkStateOf } from '../sql/link-state.js';
import { CONTACT_COLUMNS, END_EMAIL_MOVE, FORGET_RESET_LINK, FORGET_VERIFICATION_LINK, profileColumns, registrationClash, toPatientContact, type ContactRow } from '../sql/patient-row.js';
import { TAKE_BACK_COLUMNS, takeBackAssignments, takeBackOf, type TakeBackRow } from '../sql/take-back.js';
import { insertOutboxMail } from './outbox-row.js';
import { fromPatientRow, lapsedBy, LIVE, SELECT_LIVE_PATIENT, toPatientRow } from './patient-row.js';
import { callPostgres, violatedUniqueConstraint } from './postgres-errors.js';
import { releaseUnprovenPhone } from './phone-takeover.js';
import { endFamilies } from './session-store.js';
import type { SqlExecutor, SqlSession } from './sql-executor.js';

/**
 * Expiry has whole-second resolution, as in the DynamoDB adapter (epoch seconds there): a token is
 * expired from the start of the second its expiresAt falls in, so both stores answer alike.
 */
const toSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();

async function insertToken(tx: SqlSession, token: VerificationTokenRecord): Promise<void> {
  await tx.query('INSERT INTO verification_tokens (token_hash, patient_id, expires_at) VALUES ($1, $2, $3)', [
    token.tokenHash,
    token.patientId,
    toSecond(token.expiresAt),
  ]);
}

async function takenIdentifiers(db: SqlSession, email: string, phone: string) {
  const { rows } = await db.query<{ email: boolean; phone: boolean }>(
    `SELECT coalesce(bool_or(email = $1), false) AS email, coalesce(bool_or(phone_number = $2 AND NOT phone_number_released), false) AS phone
       FROM patients WHERE (email = $1 OR phone_number = $2) AND ${LIVE}`,
    [email, phone],
  );
  return { email: rows[0]?.email === true, phone: rows[0]?.phone === true };
}

/**
 * A registration's phone claim (issue 19 item 4), inside its transaction: the claim spent only while
 * it is still the code that was checked, unexpired and under its tries cap; then the holder's number
 * released only while the holder still holds it unproven (phone-takeover.ts).
 */
async function takeOverPhone(tx: SqlSession, phone: string, takeover: PhoneTakeover): Promise<void> {
  const { rows: spent } = await tx.query(
    'DELETE FROM phone_claims WHERE claim_key = $1 AND code_id = $2 AND failures < $3 AND expires_at >= $4 RETURNING claim_key',
    [takeover.claimKey, takeover.codeId, takeover.maxWrongTries, new Date((Math.floor(takeover.now.getTime() / 1000) + 1) * 1000).toISOString()],
  );
  if (spent.length === 0) throw new PhoneClaimCodeError('none');
  if (!takeover.holder) return;
  if (!(await releaseUnprovenPhone(tx, phone, takeover.now, { holderId: takeover.holder.id }))) throw new DuplicateRegistrationError({ email: false, phone: true });
  await insertOutboxMail(tx, takeover.holder.notice);
}

/**
 * PatientRepository on PostgreSQL. Uniqueness is the UNIQUE constraints on the normalized email and
 * phone: the patient row is its own reservation, so a refused or rolled-back insert reserves nothing.
 * A lapsed registration (lapses_at passed, email unverified) is filtered out of every read until
 * removeLapsedRegistrations deletes it; a new registration of its email or phone deletes it first.
 */
export function createPostgresPatientRepository(db: SqlExecutor): PatientRepository {
  return {
    findTakenIdentifiers: (email, phone) => callPostgres(() => takenIdentifiers(db, email, phone)),

    async findPhoneHolder(phone) {
      const { rows: [row] } = await callPostgres(() =>
        db.query<PhoneHolder>(`SELECT id, email, phone_verified FROM patients WHERE phone_number = $1 AND NOT phone_number_released AND ${LIVE}`, [phone]),
      );
      return row;
    },

    async createPatient(patient: PatientRecord, token: VerificationTokenRecord, mail: OutboxMail, takeover?: PhoneTakeover) {
      const row = {
        ...toPatientRow(patient), verification_token_hash: token.tokenHash, verification_link_seed: token.seed, verification_link_expires_at: token.expiresAt.toISOString(),
        ...(takeover && { phone_verified_at: takeover.now.toISOString() }),
      };
      const columns = Object.keys(row);
      const placeholders = columns.map((_, i) => `$${i + 1}`);
      try {
        await callPostgres(() =>
          db.transaction(async (tx) => {
            // A lapsed registration holding the email or phone gives them up now, with everything
            // hanging off it (ON DELETE CASCADE), rather than at the next cleanup.
            await tx.query(`DELETE FROM patients WHERE (email = $1 OR phone_number = $2) AND ${lapsedBy('now()')}`, [
              patient.email,
              patient.phone_number,
            ]);
            if (takeover) await takeOverPhone(tx, patient.phone_number, takeover);
            await tx.query(`INSERT INTO patients (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`, Object.values(row));
            await insertToken(tx, token);
            await insertOutboxMail(tx, mail);
          }),
        );
      } catch (error) {
        throw (await registrationClash(violatedUniqueConstraint(error), () => callPostgres(() => takenIdentifiers(db, patient.email, patient.phone_number)))) ?? error;
      }
    },

    consumeVerificationToken: (tokenHash, now): Promise<TokenConsumption> =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // Row locks, token then patient: a concurrent second click waits here, then reads used_at set.
          const { rows: [token] } = await tx.query<{ patient_id: string; used: boolean; expired: boolean }>(
            `SELECT patient_id, used_at IS NOT NULL AS used, expires_at <= $2 AS expired
               FROM verification_tokens WHERE token_hash = $1 FOR UPDATE`,
            [tokenHash, toSecond(now)],
          );
          if (!token) return { outcome: 'unknown' };
          const { rows: [patient] } = await tx.query<{ verification_token_hash: string | null; lapsed: boolean }>(
            `SELECT verification_token_hash, ${lapsedBy('$2::timestamptz')} AS lapsed FROM patients WHERE id = $1 FOR UPDATE`,
            [token.patient_id, now.toISOString()],
          );
          // A lapsed registration's link is as unknown as it will be once the cleanup deleted it.
          if (!patient || patient.lapsed) return { outcome: 'unknown' };
          if (token.used) return { outcome: 'used' };
          if (token.expired) return { outcome: 'expired' };
          // Only the newest link verifies: a resend replaced the patient's token digest.
          if (patient.verification_token_hash !== tokenHash) return { outcome: 'superseded' };
          const at = now.toISOString();
          await tx.query('UPDATE verification_tokens SET used_at = $2 WHERE token_hash = $1', [tokenHash, at]);
          // A verified email never lapses.
          await tx.query(
            `UPDATE patients SET email_verified = true, email_verified_at = $2, updated_at = $2, lapses_at = NULL, ${FORGET_VERIFICATION_LINK} WHERE id = $1`,
            [token.patient_id, at],
          );
          return { outcome: 'verified', patientId: token.patient_id };
        }),
      ),

    async findPatientByEmail(email): Promise<PatientContact | undefined> {
      const { rows: [row] } = await callPostgres(() => db.query<ContactRow>(`SELECT ${CONTACT_COLUMNS} FROM patients WHERE email = $1 AND ${LIVE}`, [email]));
      return row && toPatientContact(row);
    },

    replaceVerificationToken: (patient, token, mail) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // Compare-and-set on the newest digest: a verification or another resend since the read wins.
          const { rows } = await tx.query(
            `UPDATE patients SET verification_token_hash = $2, updated_at = $3, verification_link_seed = $5, verification_link_expires_at = $6
              WHERE id = $1 AND NOT email_verified AND verification_token_hash IS NOT DISTINCT FROM $4 AND ${LIVE} RETURNING id`,
            [patient.id, token.tokenHash, mail.createdAt, patient.verification_token_hash ?? null, token.seed, token.expiresAt.toISOString()],
          );
          if (rows.length === 0) return false;
          await insertToken(tx, token);
          await insertOutboxMail(tx, mail);
          return true;
        }),
      ),

    async findCredentials(email): Promise<PatientCredentials | undefined> {
      const { rows: [row] } = await callPostgres(() =>
        db.query<PatientCredentials>(
          `SELECT id, password_hash, email_verified, is_active FROM patients WHERE email = $1 AND ${LIVE}`,
          [email],
        ),
      );
      return row;
    },

    async getPatient(id) {
      const { rows: [row] } = await callPostgres(() => db.query(SELECT_LIVE_PATIENT, [id]));
      return row && fromPatientRow(row);
    },

    async updateProfile(write) {
      const columns = profileColumns(write);
      const names = Object.keys(columns);
      const assignments = names.map((name, i) => `${name} = $${i + 4}`);
      return callPostgres(() =>
        db.transaction(async (tx) => {
          // One conditional statement: a concurrent write waits for the row lock, then finds the version moved.
          const { rows } = await tx.query(
            `UPDATE patients SET ${assignments.join(', ')}, updated_at = $3${write.reviewConfirmed ? ', profile_review_required = false' : ''}
              WHERE id = $1 AND updated_at = $2::timestamptz AND is_active AND NOT ${lapsedBy('now()')} RETURNING id`,
            [write.patientId, write.expectedUpdatedAt, write.updatedAt, ...Object.values(columns)],
          );
          if (rows.length !== 1) return false;
          if (write.notice) await insertOutboxMail(tx, write.notice);
          return true;
        }),
      );
    },

    async replacePasswordHash(patientId, expected, next, now) {
      // One statement: a concurrent replacement waits for this row lock, then finds the hash changed.
      const { rows } = await callPostgres(() =>
        db.query(
          `UPDATE patients SET password_hash = $3, updated_at = $4
            WHERE id = $1 AND password_hash = $2 AND NOT ${lapsedBy('$4::timestamptz')} RETURNING id`,
          [patientId, expected, next, now.toISOString()],
        ),
      );
      return rows.length === 1;
    },

    changePassword: ({ patientId, expectedHash, passwordHash, keepSessionId, notice, now }) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // Compare-and-set under the row lock; clearing reset_token_hash and the email-move pointer ends every outstanding link.
          const { rows } = await tx.query(
            `UPDATE patients SET password_hash = $3, reset_token_hash = NULL, ${END_EMAIL_MOVE}, updated_at = $4
              WHERE id = $1 AND password_hash = $2 AND is_active AND NOT ${lapsedBy('$4::timestamptz')} RETURNING id`,
            [patientId, expectedHash, passwordHash, now.toISOString()],
          );
          if (rows.length !== 1) return false;
          await endFamilies(tx, patientId, now, keepSessionId);
          await insertOutboxMail(tx, notice);
          return true;
        }),
      ),

    closeAccount: ({ patientId, expectedHash, notice, now }) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // Compare-and-set under the row lock: a concurrent close, change or reset waits, then finds it moved.
          // Clearing reset_token_hash ends every outstanding link: only one asked for after the close reopens.
          // A pending email move ends too: a reset reopening the account must not find it still usable.
          const { rows } = await tx.query(
            `UPDATE patients SET is_active = false, reset_token_hash = NULL, ${END_EMAIL_MOVE}, updated_at = $3
              WHERE id = $1 AND password_hash = $2 AND is_active AND NOT ${lapsedBy('$3::timestamptz')} RETURNING id`,
            [patientId, expectedHash, now.toISOString()],
          );
          if (rows.length !== 1) return false;
          await endFamilies(tx, patientId, now);
          await insertOutboxMail(tx, notice);
          return true;
        }),
      ),

    async findVerificationToken(tokenHash) {
      const { rows: [row] } = await callPostgres(() =>
        db.query<{ patient_id: string }>(
          `SELECT t.patient_id FROM verification_tokens t JOIN patients p ON p.id = t.patient_id
            WHERE t.token_hash = $1 AND ${LIVE}`,
          [tokenHash],
        ),
      );
      return row && { patientId: row.patient_id };
    },

    issueResetToken: (token, mail) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // The newest token wins: whatever the patient held before stops working.
          const { rows } = await tx.query(
            `UPDATE patients SET reset_token_hash = $2, reset_link_seed = $3, reset_link_expires_at = $4 WHERE id = $1 AND ${LIVE} RETURNING id`,
            [token.patientId, token.tokenHash, token.seed, token.expiresAt.toISOString()],
          );
          if (rows.length === 0) return false;
          await tx.query('INSERT INTO password_reset_tokens (token_hash, patient_id, expires_at) VALUES ($1, $2, $3)', [
            token.tokenHash, token.patientId, toSecond(token.expiresAt),
          ]);
          await insertOutboxMail(tx, mail);
          return true;
        }),
      ),

    async findResetToken(tokenHash) {
      const { rows: [row] } = await callPostgres(() =>
        db.query<{ patient_id: string }>(
          `SELECT t.patient_id FROM password_reset_tokens t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = $1 AND ${LIVE}`,
          [tokenHash],
        ),
      );
      return row && { patientId: row.patient_id };
    },

    resetPassword: ({ tokenHash, passwordHash, notice, now }): Promise<PasswordReset> =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // Row locks, token then patient: a concurrent reset with the same token waits, then reads used_at set.
          const { rows: [token] } = await tx.query<{ patient_id: string; used: boolean; expired: boolean }>(
            `SELECT patient_id, used_at IS NOT NULL AS used, expires_at <= $2 AS expired
               FROM password_reset_tokens WHERE token_hash = $1 FOR UPDATE`,
            [tokenHash, toSecond(now)],
          );
          if (!token) return { outcome: 'unknown' };
          const { rows: [patient] } = await tx.query<{ reset_token_hash: string | null; lapsed: boolean } & TakeBackRow>(
            `SELECT reset_token_hash, ${lapsedBy('$2::timestamptz')} AS lapsed, ${TAKE_BACK_COLUMNS} FROM patients WHERE id = $1 FOR UPDATE`,
            [token.patient_id, now.toISOString()],
          );
          if (!patient || patient.lapsed) return { outcome: 'unknown' };
          if (token.used) return { outcome: 'used' };
          if (token.expired) return { outcome: 'expired' };
          if (patient.reset_token_hash !== tokenHash) return { outcome: 'superseded' };
          // Under the row lock: a never-verified registration is taken back in this transaction (issue 20).
          const takenBack = takeBackOf(patient);
          if (takenBack) await tx.query(`UPDATE patients SET ${takeBackAssignments(takenBack)} WHERE id = $1`, [token.patient_id]);
          const at = now.toISOString();
          await tx.query('UPDATE password_reset_tokens SET used_at = $2 WHERE token_hash = $1', [tokenHash, at]);
          // The mailbox is proven: the email is verified, a verified email never lapses, and a closed account reopens.
          // The pending email move ends with the old password.
          await tx.query(
            `UPDATE patients SET password_hash = $2, email_verified = true, email_verified_at = coalesce(email_verified_at, $3),
                    is_active = true, updated_at = $3, lapses_at = NULL, ${FORGET_RESET_LINK}, ${END_EMAIL_MOVE} WHERE id = $1`,
            [token.patient_id, passwordHash, at],
          );
          // Whoever held a session with the old password loses it, in the same transaction.
          await endFamilies(tx, token.patient_id, now);
          await insertOutboxMail(tx, notice);
          return { outcome: 'reset', patientId: token.patient_id, ...(takenBack && { takenBack }) };
        }),
      ),

    async linkState(kind, tokenHash, now) {
      const { table, newestColumn } = LINK_TABLES[kind];
      // One read, no lock: it writes nothing, and a use racing it is judged by its own transaction.
      const { rows: [row] } = await callPostgres(() =>
        db.query<{ lapsed: boolean; used: boolean; expired: boolean; newest: boolean }>(
          `SELECT ${lapsedBy('$3::timestamptz')} AS lapsed, t.used_at IS NOT NULL AS used, t.expires_at <= $2 AS expired,
                  coalesce(p.${newestColumn} = t.token_hash, false) AS newest
             FROM ${table} t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = $1`,
          [tokenHash, toSecond(now), now.toISOString()],
        ),
      );
      return linkStateOf(row);
    },

    async removeLapsedRegistrations(now) {
      // The partial index on lapses_at serves this; tokens, mails, sessions and counters cascade.
      const { rows } = await callPostgres(() =>
        db.query(`DELETE FROM patients WHERE ${lapsedBy('$1::timestamptz')} AND NOT email_verified RETURNING id`, [now.toISOString()]),
      );
      return rows.length;
    },
  };
}
