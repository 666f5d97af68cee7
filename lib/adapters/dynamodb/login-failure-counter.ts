import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttemptState, LoginFailureCounter } from '../../auth/session-ports.js';
import { ServiceUnavailableError } from '../../errors.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** A counter untouched for 30 days goes (TTL): by then any lock has long ended. */
const RETENTION_SECONDS = 30 * 24 * 3600;
/**
 * Rounds of read + conditional write before giving up. Each round one concurrent writer wins and
 * every winner moves the count on; from the 5th failure every winner also locks, so the others then
 * find the lock: ten rounds cover any burst.
 */
const MAX_ROUNDS = 10;

const toState = (item: Record<string, any> | undefined): AttemptState =>
  item ? { failures: item.failures, lockedUntil: new Date(item.locked_until) } : { failures: 0 };

/**
 * One `LOGIN#<subject>` item per throttled subject. A reservation reads the item (consistent) and
 * writes the next count under the condition that nobody wrote in between (`version`), so the lock
 * is decided by the store: of concurrent reservations exactly one passes per version, and every
 * other one reads again and finds the count (or the lock) that one left. The lock length is the
 * schedule's, computed here from the new count, which no update expression could.
 */
export function createDynamoLoginFailureCounter(db: DynamoDBDocumentClient, tableName: string): LoginFailureCounter {
  const read = async (subject: string) =>
    (await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: keys.loginAttempts(subject), ConsistentRead: true })))).Item;

  return {
    read: async (subject) => toState(await read(subject)),
    async reserve(subject, now, schedule) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const item = await read(subject);
        const state = toState(item);
        if (state.lockedUntil && state.lockedUntil > now) return { reserved: false, lockedUntil: state.lockedUntil };
        const failures = Math.min(state.failures + 1, schedule.maxCounted);
        try {
          await callAws('dynamodb', () =>
            db.send(new UpdateCommand({
              TableName: tableName,
              Key: keys.loginAttempts(subject),
              UpdateExpression: 'SET failures = :failures, locked_until = :until, version = :next, #ttl = :ttl, entity = :entity',
              ConditionExpression: item ? 'version = :version' : 'attribute_not_exists(pk)',
              ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
              ExpressionAttributeValues: {
                ':failures': failures,
                ':until': new Date(now.getTime() + schedule.lockSeconds(failures) * 1000).toISOString(),
                ':next': (item?.version ?? 0) + 1,
                ':ttl': Math.floor(now.getTime() / 1000) + RETENTION_SECONDS,
                ':entity': 'login_attempts',
                ...(item && { ':version': item.version }),
              },
            })));
          return { reserved: true, failures };
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      throw new ServiceUnavailableError('dynamodb');
    },
    async extendLock(subject, until) {
      try {
        await callAws('dynamodb', () =>
          db.send(new UpdateCommand({
            TableName: tableName,
            Key: keys.loginAttempts(subject),
            // A new version: a reservation that read the item before this write tries again and finds this lock.
            UpdateExpression: 'SET locked_until = :until ADD version :one',
            // ISO 8601 in UTC compares as time; absent after a reset, which must stay a reset.
            ConditionExpression: 'locked_until < :until',
            ExpressionAttributeValues: { ':until': until.toISOString(), ':one': 1 },
          })));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
    async reset(subject) {
      await callAws('dynamodb', () => db.send(new DeleteCommand({ TableName: tableName, Key: keys.loginAttempts(subject) })));
    },
  };
}
