import type { OutboxMail } from '../../patient/ports.js';
import type { SqlSession } from './sql-executor.js';

/** Queues a mail inside the caller's transaction, due at once. */
export async function insertOutboxMail(tx: SqlSession, mail: OutboxMail): Promise<void> {
  await tx.query(
    `INSERT INTO outbox_mails (id, patient_id, recipient, first_name, verify_url, status, created_at, due_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)`,
    [mail.id, mail.patientId, mail.to, mail.firstName, mail.verifyUrl, mail.createdAt],
  );
}
