import type { ClaimedItem, OutboxItem } from '../../outbox/ports.js';
import type { AccountNotice, SessionsEnded } from '../../patient/ports.js';

/** The columns of outbox_mails an item fills when it is queued (status, attempts and due_at are the queue's). */
export function outboxColumns(item: OutboxItem) {
  return {
    id: item.id,
    kind: item.kind,
    patient_id: 'patientId' in item ? item.patientId : null,
    recipient: item.to,
    // Only the notice greets by name (a proven mailbox); link mails carry nothing the registrant chose.
    first_name: item.kind === 'password_changed_email' ? item.firstName : null,
    // An email-move link is a credential too: in verify_url, which closing an item forgets.
    verify_url: item.kind === 'verification_email' ? item.verifyUrl : item.kind === 'email_move_email' ? item.confirmUrl : null,
    reset_url: item.kind === 'password_reset_email' ? item.resetUrl : null,
    sms_text: item.kind === 'phone_code_sms' ? item.text : null,
    sessions_ended: item.kind === 'password_changed_email' ? item.sessionsEnded : null,
    notice: item.kind === 'account_notice_email' ? item.notice : null,
    created_at: item.createdAt,
  };
}

/** An outbox_mails row as both SQL adapters read it back. */
export interface OutboxRow {
  id: string;
  kind: ClaimedItem['kind'];
  patient_id: string;
  recipient: string;
  first_name: string;
  verify_url: string;
  sms_text: string;
  reset_url: string;
  sessions_ended: SessionsEnded | null;
  notice: AccountNotice;
  created_at: Date | string;
  attempts: number;
}

export function claimedItem(row: OutboxRow, claimId: string): ClaimedItem {
  const common = { id: row.id, to: row.recipient, createdAt: new Date(row.created_at).toISOString(), attempts: row.attempts, claimId };
  if (row.kind === 'resend_request' || row.kind === 'password_reset_request' || row.kind === 'phone_claim_request') return { kind: row.kind, ...common };
  if (row.kind === 'phone_code_sms') return { kind: 'phone_code_sms', ...common, patientId: row.patient_id, text: row.sms_text };
  if (row.kind === 'password_reset_email') return { kind: row.kind, ...common, patientId: row.patient_id, resetUrl: row.reset_url };
  if (row.kind === 'password_changed_email') {
    // Notices queued before sessions_ended existed came from either flow; 'others' is what they said.
    return { kind: row.kind, ...common, patientId: row.patient_id, firstName: row.first_name, sessionsEnded: row.sessions_ended ?? 'others' };
  }
  if (row.kind === 'email_move_email') return { kind: row.kind, ...common, patientId: row.patient_id, confirmUrl: row.verify_url };
  if (row.kind === 'account_notice_email') return { kind: row.kind, ...common, patientId: row.patient_id, notice: row.notice };
  return { kind: 'verification_email', ...common, patientId: row.patient_id, verifyUrl: row.verify_url };
}

/**
 * What a closed item forgets: a mail its link (a credential), a request the address asked about, an SMS
 * its code. SQL both PostgreSQL and MySQL accept (MySQL assigns left to right; nothing here reads a
 * column set earlier in the list).
 */
export const FORGET = `verify_url = NULL, reset_url = NULL, sms_text = NULL, claim_id = NULL,
  recipient = CASE WHEN kind IN ('resend_request', 'password_reset_request', 'phone_claim_request') THEN NULL ELSE recipient END`;
export const GIVE_UP = `status = 'failed', due_at = NULL, ${FORGET}`;
