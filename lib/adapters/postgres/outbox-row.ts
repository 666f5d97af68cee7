import type { OutboxItem } from '../../outbox/ports.js';
import type { SqlSession } from './sql-executor.js';

/** Queues an outbox item inside the caller's transaction (or on its own), due at once. */
export async function insertOutboxMail(tx: SqlSession, item: OutboxItem): Promise<void> {
  const mail = 'firstName' in item ? item : undefined;
  await tx.query(
    `INSERT INTO outbox_mails (id, kind, patient_id, recipient, first_name, verify_url, reset_url, sms_text, status, created_at, due_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)`,
    [
      item.id, item.kind, 'patientId' in item ? item.patientId : null, item.to, mail?.firstName ?? null,
      item.kind === 'verification_email' ? item.verifyUrl : null, item.kind === 'password_reset_email' ? item.resetUrl : null,
      item.kind === 'phone_code_sms' ? item.text : null, item.createdAt,
    ],
  );
}
