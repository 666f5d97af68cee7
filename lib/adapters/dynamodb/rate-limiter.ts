import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateDecision, RateLimit, RateLimiter } from '../../rate-limit/ports.js';
import { slideWindow } from '../../rate-limit/sliding-window.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/**
 * Compare-and-set rounds a sliding-window hit may take. Each round of concurrent hits on one key lets
 * at least one through or refuses them all, so `limit + 1` rounds settle any burst; a hit that still
 * loses after this many rounds (hits keep arriving faster than they settle) is refused: failing
 * closed is right for a limit that guards a secret.
 */
const extraRounds = 4;

/** Fixed windows in one conditional counter each; sliding windows as a versioned list, compare-and-set. */
export function createDynamoRateLimiter(db: DynamoDBDocumentClient, tableName: string): RateLimiter {
  async function hit(key: string, { limit, windowSeconds }: RateLimit, now: Date): Promise<RateDecision> {
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
  }

  /**
   * Reads the admitted hits and their version (consistently), decides, and writes the new list only
   * if the version is still the one read: of concurrent hits exactly as many win as sequential ones
   * would. A refusal writes nothing.
   */
  async function slide(key: string, rule: RateLimit, now: Date): Promise<RateDecision> {
    const Key = keys.rateSlide(key);
    for (let round = 0; round < rule.limit + extraRounds; round++) {
      const { Item } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true })));
      const stored = (Item?.hits as number[] | undefined) ?? [];
      const version = Item?.version as number | undefined;
      const { decision, hits, expiresAtMs } = slideWindow(stored, rule, now.getTime());
      if (!decision.allowed) return decision;
      try {
        await callAws('dynamodb', () =>
          db.send(new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET hits = :hits, version = :next, #ttl = :ttl',
            ConditionExpression: version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':hits': hits, ':next': (version ?? 0) + 1, ':ttl': Math.ceil(expiresAtMs / 1000),
              ...(version !== undefined && { ':version': version }),
            },
          })),
        );
        return decision;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return { allowed: false, retryAfterSeconds: 1 };
  }

  return { hit, slide };
}
