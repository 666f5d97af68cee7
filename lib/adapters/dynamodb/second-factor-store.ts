import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MfaChallengeStore, TotpStore } from '../../auth/totp-ports.js';
import type { EncryptedFields } from '../../patient/ports.js';
import { callAws } from '../aws-errors.js';
import { retryingConflicts } from './conflicts.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { outboxItem } from './outbox-store.js';
import { epochSeconds } from './patient-item.js';

/** A challenge item outlives its 5 minutes by a day (TTL); reads judge expiry themselves. */
const CHALLENGE_RETENTION_SECONDS = 24 * 3600;

/** false when the write's own condition failed (the rule said no); anything else is thrown. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await retryingConflicts(write);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? [])[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/**
 * Authenticator apps on the patient table: one `TOTP#<patient>` item holds the encrypted secret, the
 * state, the last used step and the recovery codes' digests (a string set), so removing the app
 * removes them all in one Delete and no Query is needed. Every rule is the ConditionExpression of the
 * write that applies it: a step only after the last used one, a recovery code only while in the set.
 */
export function createDynamoTotpStore(db: DynamoDBDocumentClient, tableName: string, outboxShards: number): TotpStore {
  const send = (command: PutCommand | UpdateCommand | TransactWriteCommand) => callAws('dynamodb', () => db.send(command as never));
  return {
    async read(patientId) {
      const { Item } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: keys.totp(patientId), ConsistentRead: true })));
      if (!Item) return undefined;
      return {
        enrolmentId: Item.enrolment_id,
        active: Item.active === true,
        secret: Item.secret as EncryptedFields,
        ...(Item.last_used_step !== undefined && { lastUsedStep: Number(Item.last_used_step) }),
        recoveryCodesLeft: (Item.recovery_codes as Set<string> | undefined)?.size ?? 0,
      };
    },

    begin: (patientId, enrolmentId, secret, now) =>
      conditional(() => send(new PutCommand({
        TableName: tableName,
        Item: { ...keys.totp(patientId), entity: 'totp_factor', enrolment_id: enrolmentId, active: false, secret, created_at: now.toISOString() },
        // A pending secret is replaced; an active one stays until it is removed.
        ConditionExpression: 'attribute_not_exists(pk) OR active = :no',
        ExpressionAttributeValues: { ':no': false },
      }))),

    activate: ({ patientId, enrolmentId, step, recoveryCodeDigests, notice, now }) =>
      conditional(() => send(new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: keys.totp(patientId),
              UpdateExpression: 'SET active = :yes, last_used_step = :step, confirmed_at = :now, recovery_codes = :codes',
              ConditionExpression: 'enrolment_id = :id AND active = :no',
              ExpressionAttributeValues: { ':yes': true, ':no': false, ':id': enrolmentId, ':step': step, ':now': now.toISOString(), ':codes': new Set(recoveryCodeDigests) },
            },
          },
          { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }))),

    useStep: (patientId, enrolmentId, step) =>
      conditional(() => send(new UpdateCommand({
        TableName: tableName,
        Key: keys.totp(patientId),
        UpdateExpression: 'SET last_used_step = :step',
        ConditionExpression: 'enrolment_id = :id AND active = :yes AND (attribute_not_exists(last_used_step) OR last_used_step < :step)',
        ExpressionAttributeValues: { ':id': enrolmentId, ':yes': true, ':step': step },
      }))),

    async useRecoveryCode(patientId, digests) {
      for (const digest of digests) {
        const spent = await conditional(() => send(new UpdateCommand({
          TableName: tableName,
          Key: keys.totp(patientId),
          UpdateExpression: 'DELETE recovery_codes :code',
          ConditionExpression: 'active = :yes AND contains(recovery_codes, :digest)',
          ExpressionAttributeValues: { ':code': new Set([digest]), ':digest': digest, ':yes': true },
        })));
        if (spent) return true;
      }
      return false;
    },

    remove: (patientId, enrolmentId, notice) =>
      conditional(() => send(new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName, Key: keys.totp(patientId), ConditionExpression: 'enrolment_id = :id', ExpressionAttributeValues: { ':id': enrolmentId } } },
          { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }))),
  };
}

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

    spend: (tokenHash, now) =>
      conditional(() => callAws('dynamodb', () => db.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.mfaChallenge(tokenHash),
        UpdateExpression: 'SET spent_at = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(spent_at) AND expires_at_ms > :nowMs',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':nowMs': now.getTime() },
      })))),
  };
}
