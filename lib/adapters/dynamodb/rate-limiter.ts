import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../../rate-limit/ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** Fixed windows, one counter item each, counted and checked in a single conditional update. */
export function createDynamoRateLimiter(db: DynamoDBDocumentClient, tableName: string): RateLimiter {
  return {
    async hit(key, { limit, windowSeconds }, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const windowEnd = windowStart + windowSeconds;
      try {
        await callAws('dynamodb', () =>
          db.send(new UpdateCommand({
            TableName: tableName,
            Key: keys.rateWindow(key, windowStart),
            UpdateExpression: 'ADD hits :one SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': windowEnd + windowSeconds },
          })),
        );
        return { allowed: true };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { allowed: false, retryAfterSeconds: Math.max(windowEnd - nowSeconds, 1) };
        throw error;
      }
    },
  };
}
