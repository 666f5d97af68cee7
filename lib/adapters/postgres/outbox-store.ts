import type { OutboxStore } from '../../outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../outbox/retry-policy.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';


interface OutboxRow {
  id: string;
  patient_id: string;
  recipient: string;
  first_name: string;
  verify_url: string;
  created_at: Date | string;
  attempts: number;
}

/** The outbox on PostgreSQL: the due_at column plays DynamoDB's sparse "due" index. */
export function createPostgresOutboxStore(db: SqlExecutor): OutboxStore {
  return {
    async claim(id, now, leaseMs) {
      // One conditional UPDATE: of two concurrent claimers the second finds due_at moved to the lease end.
      const { rows: [row] } = await callPostgres(() =>
        db.query<OutboxRow>(
          `UPDATE outbox_mails SET status = 'sending', due_at = $3, attempts = attempts + 1
            WHERE id = $1 AND due_at <= $2 RETURNING *`,
          [id, now.toISOString(), new Date(now.getTime() + leaseMs).toISOString()],
        ),
      );
      if (!row) return undefined;
      return {
        id: row.id, patientId: row.patient_id, to: row.recipient, firstName: row.first_name,
        verifyUrl: row.verify_url, createdAt: new Date(row.created_at).toISOString(), attempts: row.attempts,
      };
    },

    async markSent(id, now) {
      // The link is a credential: once the mail is out, the outbox forgets it.
      await callPostgres(() =>
        db.query(`UPDATE outbox_mails SET status = 'sent', sent_at = $2, due_at = NULL, verify_url = NULL WHERE id = $1`, [id, now.toISOString()]),
      );
    },

    async release(mail, now) {
      const givingUp = mail.attempts >= MAX_SEND_ATTEMPTS;
      await callPostgres(() =>
        givingUp
          ? db.query(`UPDATE outbox_mails SET status = 'failed', due_at = NULL WHERE id = $1`, [mail.id])
          : db.query(`UPDATE outbox_mails SET status = 'pending', due_at = $2 WHERE id = $1`, [
            mail.id,
            nextAttemptAt(now, mail.attempts).toISOString(),
          ]),
      );
    },

    async listDue(now, limit) {
      const { rows } = await callPostgres(() =>
        db.query<{ id: string }>('SELECT id FROM outbox_mails WHERE due_at <= $1 ORDER BY due_at LIMIT $2', [now.toISOString(), limit]),
      );
      return rows.map((r) => r.id);
    },
  };
}
