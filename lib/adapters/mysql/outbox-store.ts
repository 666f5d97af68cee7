import { randomUUID } from 'node:crypto';
import type { OutboxStore } from '../../outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../outbox/retry-policy.js';
import { claimedItem, FORGET, GIVE_UP, type OutboxRow } from '../sql/outbox-row.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';
import { insertOutboxMail } from './outbox-row.js';
import { yes } from './patient-row.js';

/** The outbox on MySQL: the due_at column plays DynamoDB's sparse "due" index. */
export function createMysqlOutboxStore(db: MysqlExecutor): OutboxStore {
  return {
    claim: (id, now, leaseMs) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // The row lock decides: of two concurrent claimers the second waits here, then finds due_at moved to the lease end.
          const [row] = await tx.query<OutboxRow & { due: unknown }>('SELECT *, due_at <= :now AS due FROM outbox_mails WHERE id = :id FOR UPDATE', { id, now });
          if (!row || !yes(row.due)) return undefined;
          if (row.attempts >= MAX_SEND_ATTEMPTS) {
            // Due but out of attempts (its senders failed or crashed every time): give it up for good.
            await tx.run(`UPDATE outbox_mails SET ${GIVE_UP} WHERE id = :id`, { id });
            return undefined;
          }
          const claimId = randomUUID();
          await tx.run("UPDATE outbox_mails SET status = 'sending', due_at = :leaseEnd, attempts = attempts + 1, claim_id = :claimId WHERE id = :id", {
            id, leaseEnd: new Date(now.getTime() + leaseMs), claimId,
          });
          return claimedItem({ ...row, attempts: row.attempts + 1 }, claimId);
        }),
      ),

    async markSent(mail, now) {
      // The link is a credential: once the mail is out, the outbox forgets it. Only while our claim holds.
      await callMysql(() =>
        db.run(`UPDATE outbox_mails SET status = 'sent', sent_at = :now, due_at = NULL, ${FORGET} WHERE id = :id AND claim_id = :claimId`, {
          id: mail.id, now, claimId: mail.claimId,
        }),
      );
    },

    async release(mail, now) {
      const claim = { id: mail.id, claimId: mail.claimId };
      await callMysql(() =>
        mail.attempts >= MAX_SEND_ATTEMPTS
          ? db.run(`UPDATE outbox_mails SET ${GIVE_UP} WHERE id = :id AND claim_id = :claimId`, claim)
          : db.run("UPDATE outbox_mails SET status = 'pending', due_at = :due, claim_id = NULL WHERE id = :id AND claim_id = :claimId", {
            ...claim, due: nextAttemptAt(now, mail.attempts),
          }),
      );
    },

    enqueue: (request) => callMysql(() => insertOutboxMail(db, request)),

    async listDue(now, limit) {
      const rows = await callMysql(() =>
        db.query<{ id: string }>('SELECT id FROM outbox_mails WHERE due_at <= :now ORDER BY due_at LIMIT :limit', { now, limit }),
      );
      return rows.map((r) => r.id);
    },
  };
}
