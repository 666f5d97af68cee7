import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TotpStore } from '../../auth/totp-ports.js';
import type { EncryptedFields } from '../../patient/ports.js';
import { callAws } from '../aws-errors.js';
import { retryingConflicts } from './conflicts.js';
import { keys } from './keys.js';
import { outboxItem } from './outbox-store.js';

/** false when the write's own condition failed (the rule said no); anything else is thrown. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
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

    async begin(patientId, enrolmentId, secret, now) {
      return await conditional(() => send(new PutCommand({
        TableName: tableName,
        Item: { ...keys.totp(patientId), entity: 'totp_factor', enrolment_id: enrolmentId, active: false, secret, created_at: now.toISOString() },
        // A pending secret is replaced; an active one stays until it is removed.
        ConditionExpression: 'attribute_not_exists(pk) OR active = :no',
        ExpressionAttributeValues: { ':no': false },
      })));
    },

    async activate({ patientId, enrolmentId, step, recoveryCodeDigests, notice, now }) {
      return await conditional(() => send(new TransactWriteCommand({
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
      })));
    },

    async useStep(patientId, enrolmentId, step) {
      return await conditional(() => send(new UpdateCommand({
        TableName: tableName,
        Key: keys.totp(patientId),
        UpdateExpression: 'SET last_used_step = :step',
        ConditionExpression: 'enrolment_id = :id AND active = :yes AND (attribute_not_exists(last_used_step) OR last_used_step < :step)',
        ExpressionAttributeValues: { ':id': enrolmentId, ':yes': true, ':step': step },
      })));
    },

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

    async remove(patientId, enrolmentId, notice) {
      return await conditional(() => send(new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName, Key: keys.totp(patientId), ConditionExpression: 'enrolment_id = :id', ExpressionAttributeValues: { ':id': enrolmentId } } },
          { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      })));
    },
  };
}

