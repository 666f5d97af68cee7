import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OutboxStore } from '../../outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../outbox/retry-policy.js';
import type { OutboxMail } from '../../patient/ports.js';
import { callAws } from '../aws-errors.js';
import { DUE_INDEX, DUE_PARTITION, keys, TTL_ATTRIBUTE } from './keys.js';

/** Sent and given-up mails are kept a week (without their link), then TTL removes them. */
const SENT_RETENTION_SECONDS = 7 * 24 * 3600;

/** The outbox item written inside the registration (or resend) transaction. */
export function outboxItem(mail: OutboxMail): Record<string, unknown> {
  return {
    ...keys.outbox(mail.id),
    entity: 'outbox',
    kind: 'verification_email',
    patient_id: mail.patientId,
    to: mail.to,
    first_name: mail.firstName,
    verify_url: mail.verifyUrl,
    status: 'pending',
    attempts: 0,
    created_at: mail.createdAt,
    due_pk: DUE_PARTITION,
    due_at: mail.createdAt,
  };
}

const retainUntil = (now: Date) => Math.floor(now.getTime() / 1000) + SENT_RETENTION_SECONDS;

/** A given-up mail leaves the due index and forgets its link; the record stays a week for an operator. */
const giveUp = (now: Date) => ({
  UpdateExpression: 'SET #status = :failed, #ttl = :ttl REMOVE due_pk, due_at, verify_url, claim_id',
  ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
  ExpressionAttributeValues: { ':failed': 'failed', ':ttl': retainUntil(now) } as Record<string, unknown>,
});

async function ignoreConditionFailure(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export function createDynamoOutboxStore(db: DynamoDBDocumentClient, tableName: string): OutboxStore {
  const update = (input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) =>
    callAws('dynamodb', () => db.send(new UpdateCommand({ TableName: tableName, ...input })));

  return {
    async claim(id, now, leaseMs) {
      const due = { ':due': DUE_PARTITION, ':now': now.toISOString(), ':max': MAX_SEND_ATTEMPTS };
      const claimId = randomUUID();
      try {
        const { Attributes: item } = await update({
          Key: keys.outbox(id),
          UpdateExpression: 'SET #status = :sending, due_at = :leaseEnd, claim_id = :claim ADD attempts :one',
          ConditionExpression: 'due_pk = :due AND due_at <= :now AND attempts < :max',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...due, ':sending': 'sending', ':leaseEnd': new Date(now.getTime() + leaseMs).toISOString(), ':one': 1, ':claim': claimId },
          ReturnValues: 'ALL_NEW',
        });
        if (!item) return undefined;
        return {
          id, patientId: item.patient_id, to: item.to, firstName: item.first_name,
          verifyUrl: item.verify_url, createdAt: item.created_at, attempts: Number(item.attempts), claimId,
        };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      // Due but out of attempts (its senders failed or crashed every time): give it up for good.
      await ignoreConditionFailure(update({
        Key: keys.outbox(id),
        ...giveUp(now),
        ConditionExpression: 'due_pk = :due AND due_at <= :now AND attempts >= :max',
        ExpressionAttributeValues: { ...giveUp(now).ExpressionAttributeValues, ...due },
      }));
      return undefined;
    },

    async markSent(mail, now) {
      // The link is a credential: once the mail is out, the outbox forgets it.
      await ignoreConditionFailure(update({
        Key: keys.outbox(mail.id),
        UpdateExpression: 'SET #status = :sent, sent_at = :now, #ttl = :ttl REMOVE due_pk, due_at, verify_url, claim_id',
        ConditionExpression: 'claim_id = :claim',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':sent': 'sent', ':now': now.toISOString(), ':ttl': retainUntil(now), ':claim': mail.claimId },
      }));
    },

    async release(mail, now) {
      const next = mail.attempts >= MAX_SEND_ATTEMPTS
        ? giveUp(now)
        : {
          UpdateExpression: 'SET #status = :pending, due_at = :next REMOVE claim_id',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':next': nextAttemptAt(now, mail.attempts).toISOString() },
        };
      await ignoreConditionFailure(update({
        Key: keys.outbox(mail.id),
        ...next,
        ConditionExpression: 'claim_id = :claim',
        ExpressionAttributeValues: { ...next.ExpressionAttributeValues, ':claim': mail.claimId },
      }));
    },

    async listDue(now, limit) {
      const { Items = [] } = await callAws('dynamodb', () =>
        db.send(new QueryCommand({
          TableName: tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'due_pk = :due AND due_at <= :now',
          ExpressionAttributeValues: { ':due': DUE_PARTITION, ':now': now.toISOString() },
          Limit: limit,
        })),
      );
      return Items.map((item) => String(item.pk).slice('OUTBOX#'.length));
    },
  };
}
