import type { OutboxItem } from '../../outbox/ports.js';
import { outboxColumns } from '../sql/outbox-row.js';
import type { MysqlSession } from './mysql-executor.js';

/** Queues an outbox item inside the caller's transaction (or on its own), due at once. */
export async function insertOutboxMail(tx: MysqlSession, item: OutboxItem): Promise<void> {
  const columns = outboxColumns(item);
  await tx.run(
    `INSERT INTO outbox_mails (id, kind, patient_id, recipient, first_name, verify_url, reset_url, sms_text, sessions_ended, notice, status, created_at, due_at)
     VALUES (:id, :kind, :patient_id, :recipient, :first_name, :verify_url, :reset_url, :sms_text, :sessions_ended, :notice, 'pending', :created_at, :created_at)`,
    { ...columns, created_at: new Date(columns.created_at) },
  );
}
