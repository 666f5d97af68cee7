import type { OutboxItem } from '../../outbox/ports.js';
import { outboxColumns } from '../sql/outbox-row.js';
import type { SqlSession } from './sql-executor.js';

/** Queues an outbox item inside the caller's transaction (or on its own), due at once. */
export async function insertOutboxMail(tx: SqlSession, item: OutboxItem): Promise<void> {
  const c = outboxColumns(item);
  await tx.query(
    `INSERT INTO outbox_mails (id, kind, patient_id, recipient, first_name, verify_url, reset_url, sms_text, sessions_ended, notice, status, created_at, due_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11)`,
    [c.id, c.kind, c.patient_id, c.recipient, c.first_name, c.verify_url, c.reset_url, c.sms_text, c.sessions_ended, c.notice, c.created_at],
  );
}
