import { randomUUID } from 'node:crypto';
import type { OutboxStore } from '../../outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../outbox/retry-policy.js';
import { claimedItem, GIVE_UP, FORGET, type OutboxRow } from '../sql/outbox-row.js';
import { insertOutboxMail } from './outbox-row.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

/** The outbox on PostgreSQL: the due_at column plays DynamoDB's sparse "due" index. */
export function createPostgresOutboxStore(db: SqlExecutor): OutboxStore {
  return {
    async claim(id, now, leaseMs) {
      const claimId = randomUUID();
      // One conditional UPDATE: of two concurrent claimers the second finds due_at moved to the lease end.
      const { rows: [row] } = await callPostgres(() =>
        db.query<OutboxRow>(
          `UPDATE outbox_mails SET status = 'sending', due_at = $3, attempts = attempts + 1, claim_id = $5
            WHERE id = $1 AND due_at <= $2 AND attempts < $4 RETURNING *`,
          [id, now.toISOString(), new Date(now.getTime() + leaseMs).toISOString(), MAX_SEND_ATTEMPTS, claimId],
        ),
      );
      if (!row) {
        // Due but out of attempts (its senders failed or crashed every time): give it up for good.
        await callPostgres(() =>
          db.query(`UPDATE outbox_mails SET ${GIVE_UP} WHERE id = $1 AND due_at <= $2 AND attempts >= $3`, [id, now.toISOString(), MAX_SEND_ATTEMPTS]),
        );
        return undefined;
      }
      return claimedItem(row, claimId);
    },

    async markSent(mail, now) {
      // The link is a credential: once the mail is out, the outbox forgets it. Only while our claim holds.
      await callPostgres(() =>
        db.query(
          `UPDATE outbox_mails SET status = 'sent', sent_at = $2, due_at = NULL, ${FORGET}
            WHERE id = $1 AND claim_id = $3`,
          [mail.id, now.toISOString(), mail.claimId],
        ),
      );
    },

    async release(mail, now) {
      const givingUp = mail.attempts >= MAX_SEND_ATTEMPTS;
      await callPostgres(() =>
        givingUp
          ? db.query(`UPDATE outbox_mails SET ${GIVE_UP} WHERE id = $1 AND claim_id = $2`, [mail.id, mail.claimId])
          : db.query(`UPDATE outbox_mails SET status = 'pending', due_at = $2, claim_id = NULL WHERE id = $1 AND claim_id = $3`, [
            mail.id,
            nextAttemptAt(now, mail.attempts).toISOString(),
            mail.claimId,
          ]),
      );
    },

    enqueue: (request) => callPostgres(() => insertOutboxMail(db, request)),

    async listDue(now, limit) {
      const { rows } = await callPostgres(() =>
        db.query<{ id: string }>('SELECT id FROM outbox_mails WHERE due_at <= $1 ORDER BY due_at LIMIT $2', [now.toISOString(), limit]),
      );
      return rows.map((r) => r.id);
    },
  };
}
