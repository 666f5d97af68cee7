import type { ContactMoveStore, EmailMoveOutcome } from '../../record/ports.js';
import { callMysql, violatedUniqueKey } from './mysql-errors.js';
import type { MysqlExecutor, MysqlSession } from './mysql-executor.js';
import { insertOutboxMail } from './outbox-row.js';
import { lapsedBefore, nextSecond, toSecond, yes } from './patient-row.js';
import { endFamilies } from './session-store.js';

const EMAIL_UNIQUE = 'patients_email_unique';
const TAKEN = Symbol('taken');

interface JudgedRow { patient_id: string; new_email: string; keep_session_id: string | null; used: unknown; expired: unknown; newest: unknown; lapsed: unknown }

/** The link and its patient in one read (locked with `lock`), judged as every mailed link is. */
async function judge(db: MysqlSession, tokenHash: string, now: Date, lock = '') {
  const [row] = await db.query<JudgedRow>(
    `SELECT t.patient_id, t.new_email, t.keep_session_id, t.used_at IS NOT NULL AS used, t.expires_at <= :now AS expired,
            COALESCE(p.email_move_token_hash = t.token_hash, FALSE) AS newest, ${lapsedBefore(':line')} AS lapsed
       FROM email_move_tokens t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = :hash ${lock}`,
    { hash: tokenHash, now: toSecond(now), line: nextSecond(now) },
  );
  const state = !row || yes(row.lapsed) ? 'unknown' : yes(row.used) ? 'used' : yes(row.expired) ? 'expired' : yes(row.newest) ? 'usable' : 'superseded';
  return { state, row } as const;
}

/**
 * Email moves on MySQL (and MariaDB): the PostgreSQL adapter's design. The UNIQUE index on
 * patients.email is every address's reservation; the move is one UPDATE of the email under the row
 * locks, in the transaction that uses the link, ends the other sessions and queues the notice. A
 * lapsed registration holding the address gives it up first (where a later "possession wins" rule
 * would go, as in PostgreSQL).
 */
export function createMysqlContactMoves(db: MysqlExecutor): ContactMoveStore {
  return {
    requestEmailMove: ({ patientId, newEmail, tokenHash, expiresAt, keepSessionId, link, notice, now }) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // The newest link wins: whatever move link the patient held before reads "superseded".
          const updated = await tx.run(
            `UPDATE patients SET email_move_token_hash = :hash WHERE id = :id AND is_active AND email_verified AND NOT ${lapsedBefore(':line')}`,
            { id: patientId, hash: tokenHash, line: nextSecond(now) },
          );
          if (updated !== 1) return false;
          await tx.run(
            'INSERT INTO email_move_tokens (token_hash, patient_id, new_email, keep_session_id, expires_at) VALUES (:hash, :id, :email, :keep, :expires)',
            { hash: tokenHash, id: patientId, email: newEmail, keep: keepSessionId ?? null, expires: toSecond(expiresAt) },
          );
          await insertOutboxMail(tx, link);
          await insertOutboxMail(tx, notice);
          return true;
        }),
      ),

    async emailMoveLink(tokenHash, now) {
      const { state, row } = await callMysql(() => judge(db, tokenHash, now));
      return state === 'usable' ? { state, patientId: row!.patient_id } : { state };
    },

    async confirmEmailMove({ tokenHash, patientId, expectedEmail, notice, now }): Promise<EmailMoveOutcome> {
      try {
        return await callMysql(() =>
          db.transaction(async (tx): Promise<EmailMoveOutcome> => {
            const { state, row } = await judge(tx, tokenHash, now, 'FOR UPDATE');
            if (state !== 'usable') return { outcome: state };
            if (row!.patient_id !== patientId) return { outcome: 'unknown' };
            await tx.run(`DELETE FROM patients WHERE email = :email AND ${lapsedBefore(':line')}`, { email: row!.new_email, line: nextSecond(now) });
            const moved = await tx.run(
              'UPDATE patients SET email = :new, email_verified = TRUE, updated_at = :now, email_move_token_hash = NULL WHERE id = :id AND email = :old AND is_active',
              { id: patientId, old: expectedEmail, new: row!.new_email, now },
            ).catch((error: unknown) => {
              if (violatedUniqueKey(error) === EMAIL_UNIQUE) throw TAKEN;
              throw error;
            });
            if (moved !== 1) return { outcome: 'superseded' };
            await tx.run('UPDATE email_move_tokens SET used_at = :now WHERE token_hash = :hash', { hash: tokenHash, now });
            await endFamilies(tx, patientId, now, row!.keep_session_id ?? undefined);
            await insertOutboxMail(tx, notice);
            return { outcome: 'moved', email: row!.new_email };
          }),
        );
      } catch (error) {
        // The transaction rolled back: nothing written, the link still usable.
        if (error === TAKEN) return { outcome: 'taken' };
        throw error;
      }
    },
  };
}
