import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IDEMPOTENCY_LOCK_MS, IDEMPOTENCY_RETENTION_MS, type IdempotencyStore } from '../../idempotency/ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';


/** Another request took the key over: what this one wanted to write no longer matters. */
function ignoreConditionFailure(error: unknown): void {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
}

export function createDynamoIdempotencyStore(db: DynamoDBDocumentClient, tableName: string, scope: string): IdempotencyStore {
  const key = (k: string) => keys.idempotency(scope, k);
  return {
    async begin(idempotencyKey, fingerprint, owner, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      try {
        await callAws('dynamodb', () =>
          db.send(new PutCommand({
            TableName: tableName,
            Item: {
              ...key(idempotencyKey),
              entity: 'idempotency',
              status: 'in_progress',
              fingerprint,
              owner,
              locked_until: now.getTime() + IDEMPOTENCY_LOCK_MS,
              [TTL_ATTRIBUTE]: nowSeconds + IDEMPOTENCY_RETENTION_MS / 1000,
            },
            // TTL deletes lazily (up to days late): an expired record counts as absent here already.
            ConditionExpression:
              'attribute_not_exists(pk) OR #ttl <= :nowSeconds OR (#status = :inProgress AND locked_until < :now AND fingerprint = :fp)',
            ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now.getTime(), ':nowSeconds': nowSeconds, ':fp': fingerprint },
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

    async complete(idempotencyKey, owner, response) {
      await callAws('dynamodb', () =>
        db.send(new UpdateCommand({
          TableName: tableName,
          Key: key(idempotencyKey),
          UpdateExpression: 'SET #status = :completed, status_code = :code, response_body = :body REMOVE locked_until',
          ConditionExpression: '#owner = :owner AND #status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
          ExpressionAttributeValues: { ':completed': 'completed', ':code': response.statusCode, ':body': response.body, ':owner': owner, ':inProgress': 'in_progress' },
        })),
      ).catch(ignoreConditionFailure);
    },

    async abandon(idempotencyKey, owner) {
      await callAws('dynamodb', () =>
        db.send(new DeleteCommand({
          TableName: tableName,
          Key: key(idempotencyKey),
          ConditionExpression: '#status = :inProgress AND #owner = :owner',
          ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':owner': owner },
        })),
      ).catch(ignoreConditionFailure);
    },
  };
}
