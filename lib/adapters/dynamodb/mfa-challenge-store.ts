import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MfaChallengeStore } from '../../auth/totp-ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { epochSeconds } from './patient-item.js';
import { conditional } from './totp-store.js';

/** A challenge item outlives its 5 minutes by a day (TTL); reads judge expiry themselves. */
const CHALLENGE_RETENTION_SECONDS = 24 * 3600;

/** The second step of a sign-in: one `MFA#<digest>` item, spent by an update conditioned on unspent and unexpired; TTL removes it. */
export function createDynamoMfaChallengeStore(db: DynamoDBDocumentClient, tableName: string): MfaChallengeStore {
  return {
    async create(c) {
      await callAws('dynamodb', () => db.send(new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.mfaChallenge(c.tokenHash), entity: 'mfa_challenge', patient_id: c.patientId, subject: c.subject, password_tag: c.passwordTag,
          expires_at_ms: c.expiresAt.getTime(), [TTL_ATTRIBUTE]: epochSeconds(c.expiresAt) + CHALLENGE_RETENTION_SECONDS,
          ...(c.deviceId && { device_id: c.deviceId }), ...(c.device && { device: c.device }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      })));
    },

    async read(tokenHash, now) {
      const { Item } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: keys.mfaChallenge(tokenHash), ConsistentRead: true })));
      if (!Item || Item.spent_at !== undefined || Number(Item.expires_at_ms) <= now.getTime()) return undefined;
      return {
        tokenHash, patientId: Item.patient_id, subject: Item.subject, passwordTag: Item.password_tag, expiresAt: new Date(Number(Item.expires_at_ms)),
        ...(Item.device_id !== undefined && { deviceId: Item.device_id }), ...(Item.device !== undefined && { device: Item.device }),
      };
    },

    async spend(tokenHash, now) {
      return await conditional(() => callAws('dynamodb', () => db.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.mfaChallenge(tokenHash),
        UpdateExpression: 'SET spent_at = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(spent_at) AND expires_at_ms > :nowMs',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':nowMs': now.getTime() },
      }))));
    },
  };
}
