import type { ContactMoveStore, EmailMoveOutcome } from '../../record/ports.js';
import { insertOutboxMail } from './outbox-row.js';
import { lapsedBy } from './patient-row.js';
import { callPostgres, violatedUniqueConstraint } from './postgres-errors.js';
import { endFamilies } from './session-store.js';
import type { SqlExecutor } from './sql-executor.js';

/** Expiry has whole-second resolution, as in the other stores. */
const toSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();
const EMAIL_UNIQUE = 'patients_email_unique';
const TAKEN = Symbol('taken');

interface JudgedRow { patient_id: string; new_email: string; keep_session_id: string | null; used: boolean; expired: boolean; newest: boolean; lapsed: boolean }
const JUDGE = `SELECT t.patient_id, t.new_email, t.keep_session_id, t.used_at IS NOT NULL AS used, t.expires_at <= $2 AS expired,
                      coalesce(p.email_move_token_hash = t.token_hash, false) AS newest, ${lapsedBy('$3::timestamptz')} AS lapsed
                 FROM email_move_tokens t JOIN patients p ON p.id = t.patient_id WHERE t.token_hash = $1`;
const stateOf = (row: JudgedRow | undefined) =>
  !row || row.lapsed ? 'unknown' : row.used ? 'used' : row.expired ? 'expired' : row.newest ? 'usable' : 'superseded';

/**
 * Email moves on PostgreSQL. The UNIQUE constraint on patients.email is every address's reservation:
 * the move is one UPDATE of the patient's email under the row lock, in the transaction that uses the
 * link, ends the other sessions and queues the notice; an address taken meanwhile violates the
 * constraint and rolls all of it back. A lapsed registration holding the address gives it up first,
 * as at registration. A later "possession wins" rule for who may take an address belongs beside that
 * DELETE, the one place an address is freed for the move.
 */
export function createPostgresContactMoves(db: SqlExecutor): ContactMoveStore {
  return {
    requestEmailMove: ({ patientId, newEmail, tokenHash, expiresAt, keepSessionId, link, notice, now }) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // The newest link wins: whatever move link the patient held before reads "superseded".
          const { rows } = await tx.query(
            `UPDATE patients SET email_move_token_hash = $2
              WHERE id = $1 AND is_active AND email_verified AND NOT ${lapsedBy('$3::timestamptz')} RETURNING id`,
            [patientId, tokenHash, now.toISOString()],
          );
          if (rows.length !== 1) return false;
          await tx.query(
            'INSERT INTO email_move_tokens (token_hash, patient_id, new_email, keep_session_id, expires_at) VALUES ($1, $2, $3, $4, $5)',
            [tokenHash, patientId, newEmail, keepSessionId ?? null, toSecond(expiresAt)],
          );
          await insertOutboxMail(tx, link);
          await insertOutboxMail(tx, notice);
          return true;
        }),
      ),

    async emailMoveLink(tokenHash, now) {
      const { rows: [row] } = await callPostgres(() => db.query<JudgedRow>(JUDGE, [tokenHash, toSecond(now), now.toISOString()]));
      const state = stateOf(row);
      return state === 'usable' ? { state, patientId: row!.patient_id } : { state };
    },

    async confirmEmailMove({ tokenHash, patientId, expectedEmail, notice, now }): Promise<EmailMoveOutcome> {
      try {
        return await callPostgres(() =>
          db.transaction(async (tx): Promise<EmailMoveOutcome> => {
            // Row locks, token then patient (as every link use locks them): a second use waits, then reads used_at.
            const { rows: [row] } = await tx.query<JudgedRow>(`${JUDGE} FOR UPDATE OF t, p`, [tokenHash, toSecond(now), now.toISOString()]);
            const state = stateOf(row);
            if (state !== 'usable') return { outcome: state };
            if (row!.patient_id !== patientId) return { outcome: 'unknown' };
            const at = now.toISOString();
            await tx.query(`DELETE FROM patients WHERE email = $1 AND ${lapsedBy('$2::timestamptz')}`, [row!.new_email, at]);
            const { rows: moved } = await tx.query(
              `UPDATE patients SET email = $3, email_verified = true, updated_at = $4, email_move_token_hash = NULL
                WHERE id = $1 AND email = $2 AND is_active RETURNING id`,
              [patientId, expectedEmail, row!.new_email, at],
            ).catch((error: unknown) => {
              if (violatedUniqueConstraint(error) === EMAIL_UNIQUE) throw TAKEN;
              throw error;
            });
            if (moved.length !== 1) return { outcome: 'superseded' };
            await tx.query('UPDATE email_move_tokens SET used_at = $2 WHERE token_hash = $1', [tokenHash, at]);
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
