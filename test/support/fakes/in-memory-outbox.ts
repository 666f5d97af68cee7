import { randomUUID } from 'node:crypto';
import type { ClaimedItem, OutboxItem, OutboxStore } from '../../../lib/outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../../lib/outbox/retry-policy.js';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

interface Row {
  mail: OutboxItem;
  status: OutboxStatus;
  /** Undefined once sent or given up: no longer due (DynamoDB's sparse "due" index). */
  dueAt: number | undefined;
  attempts: number;
  claimId: string | undefined;
}

/** The outbox in memory, by the OutboxStore contract (the storage contract test runs it too). */
export interface InMemoryOutbox extends OutboxStore {
  /** What the patient repository writes in the same "transaction" as the patient. */
  add(mail: OutboxItem): void;
  statusOf(id: string): { status: OutboxStatus; attempts: number } | undefined;
  /** The address a stored item still holds (empty once forgotten). */
  addressOf(id: string): string | undefined;
  /** The stored item as JSON, every field (undefined if gone): what a raw read of a real store would see. */
  rawOf(id: string): string | undefined;
  /** The text a stored SMS still holds (empty once forgotten: it holds the code). */
  textOf(id: string): string | undefined;
  /** Drops a removed patient's mails, as the real stores' cascade (PostgreSQL) and TTL (DynamoDB) do. */
  forgetPatient(patientId: string): void;
}

/** What a closed item forgets: a mail its link, a request the address it asked about. */
function forgotten(mail: OutboxItem): OutboxItem {
  switch (mail.kind) {
    case 'verification_email':
      return { ...mail, verifyUrl: '' };
    case 'password_reset_email':
      return { ...mail, resetUrl: '' };
    case 'password_changed_email':
      return mail;
    case 'phone_code_sms':
      return { ...mail, text: '' };
    default:
      return { ...mail, to: '' };
  }
}

export function createInMemoryOutbox(): InMemoryOutbox {
  const rows = new Map<string, Row>();
  // The link is a credential: a sent or given-up mail forgets it, as the real stores do.
  const close = (row: Row, status: 'sent' | 'failed') =>
    Object.assign(row, { status, dueAt: undefined, claimId: undefined, mail: forgotten(row.mail) });
  const heldBy = (mail: ClaimedItem) => {
    const row = rows.get(mail.id);
    return row?.claimId === mail.claimId ? row : undefined;
  };

  const add = (mail: OutboxItem) => {
    rows.set(mail.id, { mail: { ...mail }, status: 'pending', dueAt: Date.parse(mail.createdAt), attempts: 0, claimId: undefined });
  };
  return {
    add,
    forgetPatient(patientId) {
      for (const [id, row] of rows) if ('patientId' in row.mail && row.mail.patientId === patientId) rows.delete(id);
    },
    async enqueue(request) {
      if (rows.has(request.id)) throw new Error(`outbox item ${request.id} exists`);
      add(request);
    },
    textOf(id) {
      const mail = rows.get(id)?.mail;
      return mail?.kind === 'phone_code_sms' ? mail.text : undefined;
    },
    rawOf(id) {
      const row = rows.get(id);
      return row && JSON.stringify(row);
    },
    addressOf(id) {
      return rows.get(id)?.mail.to || undefined;
    },
    statusOf(id) {
      const row = rows.get(id);
      return row && { status: row.status, attempts: row.attempts };
    },

    async claim(id, now, leaseMs) {
      const row = rows.get(id);
      if (!row || row.dueAt === undefined || row.dueAt > now.getTime()) return undefined;
      if (row.attempts >= MAX_SEND_ATTEMPTS) {
        close(row, 'failed');
        return undefined;
      }
      Object.assign(row, { status: 'sending', dueAt: now.getTime() + leaseMs, attempts: row.attempts + 1, claimId: randomUUID() });
      return { ...row.mail, attempts: row.attempts, claimId: row.claimId! };
    },
    async markSent(mail) {
      const row = heldBy(mail);
      if (row) close(row, 'sent');
    },
    async release(mail, now) {
      const row = heldBy(mail);
      if (!row) return;
      if (mail.attempts >= MAX_SEND_ATTEMPTS) close(row, 'failed');
      else Object.assign(row, { status: 'pending', dueAt: nextAttemptAt(now, mail.attempts).getTime(), claimId: undefined });
    },
    async listDue(now, limit) {
      return [...rows.values()]
        .filter((row) => row.dueAt !== undefined && row.dueAt <= now.getTime())
        .sort((a, b) => a.dueAt! - b.dueAt!)
        .slice(0, limit)
        .map((row) => row.mail.id);
    },
  };
}
