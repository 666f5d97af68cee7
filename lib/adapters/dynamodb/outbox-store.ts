import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OutboxStore } from '../../outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../outbox/retry-policy.js';
import type { OutboxMail } from '../../patient/ports.js';
import { callAws } from '../aws-errors.js';
import { DUE_INDEX, DUE_PARTITION, keys, TTL_ATTRIBUTE } from './keys.js';

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

export function createDynamoOutboxStore(db: DynamoDBDocumentClient, tableName: string): OutboxStore {
  const update = (input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) =>
    callAws('dynamodb', () => db.send(new UpdateCommand({ TableName: tableName, ...input })));

  return {
    async claim(id, now, leaseMs) {
      try {
        const { Attributes: item } = await update({
          Key: keys.outbox(id),
          UpdateExpression: 'SET #status = :sending, due_at = :leaseEnd ADD attempts :one',
          ConditionExpression: 'due_pk = :due AND due_at <= :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':sending': 'sending', ':leaseEnd': new Date(now.getTime() + leaseMs).toISOString(),
            ':one': 1, ':due': DUE_PARTITION, ':now': now.toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        });
        if (!item) return undefined;
        return {
          id, patientId: item.patient_id, to: item.to, firstName: item.first_name,
          verifyUrl: item.verify_url, createdAt: item.created_at, attempts: Number(item.attempts),
        };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    async markSent(id, now) {
      // The link is a credential: once the mail is out, the outbox forgets it.
      await update({
        Key: keys.outbox(id),
        UpdateExpression: 'SET #status = :sent, sent_at = :now, #ttl = :ttl REMOVE due_pk, due_at, verify_url',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':sent': 'sent', ':now': now.toISOString(), ':ttl': Math.floor(now.getTime() / 1000) + SENT_RETENTION_SECONDS },
      });
    },

    async release(mail, now) {
      const givingUp = mail.attempts >= MAX_SEND_ATTEMPTS;
      await update({
        Key: keys.outbox(mail.id),
        UpdateExpression: givingUp ? 'SET #status = :failed REMOVE due_pk, due_at' : 'SET #status = :pending, due_at = :next',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: givingUp
          ? { ':failed': 'failed' }
          : { ':pending': 'pending', ':next': nextAttemptAt(now, mail.attempts).toISOString() },
      });
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
