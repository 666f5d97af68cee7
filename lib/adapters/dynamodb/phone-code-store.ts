import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PhoneCodeAttempt, PhoneVerificationStore } from '../../phone/ports.js';
import { callAws } from '../aws-errors.js';
import { isPassingConflict, retryingConflicts } from './conflicts.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { outboxItem } from './outbox-store.js';
import { epochSeconds } from './patient-item.js';

/** A code item outlives its 10 minutes by a day (TTL), for an operator; reads judge expiry themselves. */
const RETENTION_SECONDS = 24 * 3600;
/** Reads and conditional writes race only with the patient's own concurrent tries: a few rounds settle it. */
const MAX_ROUNDS = 5;

/**
 * The patient's current code in one `PHONECODE#<patient>` item: a keyed digest, its expiry and its
 * wrong-try count. A try reads the item, then writes conditioned on what it read (the code id and a
 * count below the cap): a wrong try is an atomic ADD, a right one deletes the code and verifies the
 * phone in one transaction. A try whose condition fails lost a race and judges the item afresh.
 */
/** `outboxShards`: the due index's shard count (OUTBOX_SHARDS), for the SMS each code queues. */
export function createDynamoPhoneCodeStore(db: DynamoDBDocumentClient, tableName: string, outboxShards: number): PhoneVerificationStore {
  return {
    async issueClaim(claim, sms) {
      await retryingConflicts(() => callAws('dynamodb', () =>
        db.send(new TransactWriteCommand({
          TransactItems: [
            {
              // Unconditional: the newer claim code replaces the older, whose digest stops matching.
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.phoneClaim(claim.claimKey),
                  entity: 'phone_claim',
                  code_id: claim.codeId,
                  code_digest: claim.digest,
                  expires_at: claim.expiresAt.toISOString(),
                  failures: 0,
                  created_at: claim.createdAt.toISOString(),
                  [TTL_ATTRIBUTE]: epochSeconds(claim.expiresAt) + RETENTION_SECONDS,
                },
              },
            },
            { Put: { TableName: tableName, Item: outboxItem(sms, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        })),
      ));
    },

    async attemptClaim(claimKey, digests, now, maxWrongTries) {
      const key = keys.phoneClaim(claimKey);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const { Item: claim } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
        if (!claim) return { outcome: 'none' };
        if (epochSeconds(new Date(claim.expires_at)) <= epochSeconds(now)) return { outcome: 'expired' };
        if (Number(claim.failures) >= maxWrongTries) return { outcome: 'exhausted' };
        // A right code is only checked here: the registration's transaction spends it (patient-repository.ts).
        if (digests.includes(claim.code_digest)) return { outcome: 'valid', codeId: String(claim.code_id) };
        try {
          const { Attributes } = await callAws('dynamodb', () =>
            db.send(new UpdateCommand({
              TableName: tableName,
              Key: key,
              UpdateExpression: 'ADD failures :one',
              ConditionExpression: 'code_id = :id AND failures < :max',
              ExpressionAttributeValues: { ':id': claim.code_id, ':max': maxWrongTries, ':one': 1 },
              ReturnValues: 'UPDATED_NEW',
            })),
          );
          return { outcome: 'wrong', triesLeft: maxWrongTries - Number(Attributes!.failures) };
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException) && !isPassingConflict(error)) throw error;
        }
      }
      return { outcome: 'exhausted' };
    },

    async issueCode(code, sms) {
      // Two codes asked for at once conflict on PHONECODE#: retried, never a 500 (issue 19 item 7).
      await retryingConflicts(() => callAws('dynamodb', () =>
        db.send(new TransactWriteCommand({
          TransactItems: [
            {
              // Unconditional: the newer code replaces the older, whose digest stops matching.
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.phoneCode(code.patientId),
                  entity: 'phone_code',
                  code_id: code.codeId,
                  code_digest: code.digest,
                  expires_at: code.expiresAt.toISOString(),
                  failures: 0,
                  created_at: code.createdAt.toISOString(),
                  [TTL_ATTRIBUTE]: epochSeconds(code.expiresAt) + RETENTION_SECONDS,
                },
              },
            },
            { Put: { TableName: tableName, Item: outboxItem(sms, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        })),
      ));
    },

    async attemptCode(patientId, digests, now, maxWrongTries) {
      const key = keys.phoneCode(patientId);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const { Item: code } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
        if (!code) return { outcome: 'none' };
        if (epochSeconds(new Date(code.expires_at)) <= epochSeconds(now)) return { outcome: 'expired' };
        if (Number(code.failures) >= maxWrongTries) return { outcome: 'exhausted' };
        const unchanged = { ':id': code.code_id, ':max': maxWrongTries };
        if (digests.includes(code.code_digest)) {
          const at = now.toISOString();
          try {
            await callAws('dynamodb', () =>
              db.send(new TransactWriteCommand({
                TransactItems: [
                  { Delete: { TableName: tableName, Key: key, ConditionExpression: 'code_id = :id AND failures < :max', ExpressionAttributeValues: unchanged } },
                  {
                    Update: {
                      TableName: tableName,
                      Key: keys.patient(patientId),
                      UpdateExpression: 'SET phone_verified = :yes, phone_verified_at = :at, updated_at = :at',
                      // A released number (taken over by its proven owner) is no longer this patient's to prove.
                      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(phone_number_released)',
                      ExpressionAttributeValues: { ':yes': true, ':at': at },
                    },
                  },
                ],
              })),
            );
            return { outcome: 'verified' };
          } catch (error) {
            if (!(error instanceof TransactionCanceledException)) throw error;
            // The patient is gone or its number released: no code of it can verify anything.
            if (error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') return { outcome: 'none' };
            continue;
          }
        }
        try {
          const { Attributes } = await callAws('dynamodb', () =>
            db.send(new UpdateCommand({
              TableName: tableName,
              Key: key,
              UpdateExpression: 'ADD failures :one',
              ConditionExpression: 'code_id = :id AND failures < :max',
              ExpressionAttributeValues: { ...unchanged, ':one': 1 },
              ReturnValues: 'UPDATED_NEW',
            })),
          );
          return { outcome: 'wrong', triesLeft: maxWrongTries - Number(Attributes!.failures) };
        } catch (error) {
          // A right try's transaction under way on the same item: judge it afresh, as a lost race.
          if (!(error instanceof ConditionalCheckFailedException) && !isPassingConflict(error)) throw error;
        }
      }
      // Still racing after every round: answer as if the code were spent rather than loop on.
      return { outcome: 'exhausted' } satisfies PhoneCodeAttempt;
    },
  };
}
