import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FailureCount, LoginFailureCounter } from '../../auth/session-ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** A counter untouched for 30 days goes (TTL): by then any lock has long ended. */
const RETENTION_SECONDS = 30 * 24 * 3600;

const toCount = (item: Record<string, any> | undefined): FailureCount =>
  item?.failures ? { failures: item.failures, lastFailureAt: new Date(item.last_failure_at) } : { failures: 0 };

/** One `LOGIN#<patient>` item per patient, counted by atomic ADD under a cap condition. */
export function createDynamoLoginFailureCounter(db: DynamoDBDocumentClient, tableName: string): LoginFailureCounter {
  return {
    async read(patientId) {
      const { Item } = await callAws('dynamodb', () =>
        db.send(new GetCommand({ TableName: tableName, Key: keys.loginFailures(patientId), ConsistentRead: true })));
      return toCount(Item);
    },
    async recordFailure(patientId, now, max) {
      const common = {
        TableName: tableName,
        Key: keys.loginFailures(patientId),
        ReturnValues: 'ALL_NEW' as const,
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      };
      const stamp = { ':now': now.toISOString(), ':ttl': Math.floor(now.getTime() / 1000) + RETENTION_SECONDS };
      try {
        const out = await callAws('dynamodb', () =>
          db.send(new UpdateCommand({
            ...common,
            UpdateExpression: 'ADD failures :one SET last_failure_at = :now, #ttl = :ttl, entity = :entity',
            ConditionExpression: 'attribute_not_exists(failures) OR failures < :max',
            ExpressionAttributeValues: { ...stamp, ':one': 1, ':max': max, ':entity': 'login_failures' },
          })));
        return toCount(out.Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // At the cap: the count stays, the failure's time still moves the (bounded) lock on.
        const out = await callAws('dynamodb', () =>
          db.send(new UpdateCommand({ ...common, UpdateExpression: 'SET last_failure_at = :now, #ttl = :ttl', ExpressionAttributeValues: stamp })));
        return toCount(out.Attributes);
      }
    },
    async reset(patientId) {
      await callAws('dynamodb', () => db.send(new DeleteCommand({ TableName: tableName, Key: keys.loginFailures(patientId) })));
    },
  };
}
