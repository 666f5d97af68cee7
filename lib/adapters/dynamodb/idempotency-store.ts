import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStore } from '../../idempotency/ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** Keys are remembered for 24 hours; an in-progress claim is taken over after 60 s (a crashed request). */
const RETENTION_SECONDS = 24 * 3600;
const LOCK_MS = 60_000;

export function createDynamoIdempotencyStore(db: DynamoDBDocumentClient, tableName: string, scope: string): IdempotencyStore {
  const key = (k: string) => keys.idempotency(scope, k);
  return {
    async begin(idempotencyKey, fingerprint, now) {
      try {
        await callAws('dynamodb', () =>
          db.send(new PutCommand({
            TableName: tableName,
            Item: {
              ...key(idempotencyKey),
              entity: 'idempotency',
              status: 'in_progress',
              fingerprint,
              locked_until: now.getTime() + LOCK_MS,
              [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + RETENTION_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND locked_until < :now AND fingerprint = :fp)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now.getTime(), ':fp': fingerprint },
            // The existing record comes back inside the error: it holds a stored 201 body, never logged.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          })),
        );
        return { state: 'started' };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const existing = error.Item as Record<string, { S?: string; N?: string }> | undefined;
        if (!existing) return { state: 'in-progress' };
        if (existing.fingerprint?.S !== fingerprint) return { state: 'mismatch' };
        if (existing.status?.S === 'completed') {
          return { state: 'completed', response: { statusCode: Number(existing.status_code?.N), body: String(existing.response_body?.S) } };
        }
        return { state: 'in-progress' };
      }
    },

    async complete(idempotencyKey, response) {
      await callAws('dynamodb', () =>
        db.send(new UpdateCommand({
          TableName: tableName,
          Key: key(idempotencyKey),
          UpdateExpression: 'SET #status = :completed, status_code = :code, response_body = :body REMOVE locked_until',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':completed': 'completed', ':code': response.statusCode, ':body': response.body },
        })),
      );
    },

    async abandon(idempotencyKey) {
      await callAws('dynamodb', () =>
        db.send(new DeleteCommand({
          TableName: tableName,
          Key: key(idempotencyKey),
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress' },
        })),
      ).catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    },
  };
}
