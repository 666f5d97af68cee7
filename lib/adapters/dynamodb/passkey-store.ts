import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PasskeyAddition, PasskeyCredential, PasskeyStore } from '../../passkey/ports.js';
import { callAws } from '../aws-errors.js';
import { retryingConflicts } from './conflicts.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { outboxItem } from './outbox-store.js';
import { epochSeconds } from './patient-item.js';

/** A challenge item outlives its expiry by an hour (TTL), for an operator; reads judge expiry themselves. */
const CHALLENGE_RETENTION_SECONDS = 3600;

const digestOf = (credentialId: string) => createHash('sha256').update(credentialId).digest('base64url');

function fromItem(item: Record<string, any>): PasskeyCredential {
  return {
    id: item.credential_id,
    patientId: item.patient_id,
    publicKey: item.public_key,
    counter: Number(item.counter),
    transports: item.transports ?? [],
    aaguid: item.aaguid,
    name: item.name,
    createdAt: new Date(item.created_at),
    ...(item.last_used_at && { lastUsedAt: new Date(item.last_used_at) }),
  };
}

/**
 * Passkeys on the patient table. A credential lives in its patient's `PASSKEYS#<patient>` partition;
 * a `PASSKEYID#<id digest>` owner item names the patient, so a sign-in finds the credential from the id
 * alone and two patients can never hold one id (the owner item is put only if absent). Adding and
 * removing write both items and the notice in one transaction; the counter moves by an update
 * conditioned on the stored one being lower. A challenge is spent by a conditional delete that
 * returns it: of two requests with one answer, one gets it.
 */
export function createDynamoPasskeyStore(db: DynamoDBDocumentClient, tableName: string, outboxShards: number): PasskeyStore {
  const ownerOf = async (credentialId: string) => {
    const { Item } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: keys.passkeyOwner(digestOf(credentialId)), ConsistentRead: true })));
    return Item?.patient_id as string | undefined;
  };

  return {
    async saveChallenge(challenge) {
      await callAws('dynamodb', () =>
        db.send(new PutCommand({
          TableName: tableName,
          Item: {
            ...keys.passkeyChallenge(challenge.challenge),
            entity: 'passkey_challenge',
            purpose: challenge.purpose,
            ...(challenge.patientId && { patient_id: challenge.patientId }),
            expires_at: challenge.expiresAt.toISOString(),
            [TTL_ATTRIBUTE]: epochSeconds(challenge.expiresAt) + CHALLENGE_RETENTION_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        })),
      );
    },

    async takeChallenge(challenge) {
      try {
        const { Attributes } = await callAws('dynamodb', () =>
          db.send(new DeleteCommand({ TableName: tableName, Key: keys.passkeyChallenge(challenge), ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' })),
        );
        if (!Attributes) return undefined;
        return {
          challenge,
          purpose: Attributes.purpose,
          ...(Attributes.patient_id && { patientId: Attributes.patient_id }),
          expiresAt: new Date(Attributes.expires_at),
        };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    async add(credential, notice, limit): Promise<PasskeyAddition> {
      const digest = digestOf(credential.id);
      try {
        await retryingConflicts(() => callAws('dynamodb', () =>
          db.send(new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: { ...keys.passkeyOwner(digest), entity: 'passkey_owner', patient_id: credential.patientId },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...keys.passkey(credential.patientId, digest),
                    entity: 'passkey',
                    credential_id: credential.id,
                    patient_id: credential.patientId,
                    public_key: credential.publicKey,
                    counter: credential.counter,
                    transports: credential.transports,
                    aaguid: credential.aaguid,
                    name: credential.name,
                    created_at: credential.createdAt.toISOString(),
                  },
                },
              },
              { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
              // The cap, in the write: of parallel additions, those past the limit fail here.
              {
                Update: {
                  TableName: tableName,
                  Key: keys.passkeyIds(credential.patientId),
                  UpdateExpression: 'ADD ids :id',
                  ConditionExpression: 'attribute_not_exists(ids) OR size(ids) < :limit',
                  ExpressionAttributeValues: { ':id': new Set([digest]), ':limit': limit },
                },
              },
            ],
          })),
        ));
        return 'added';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const failed = (i: number) => error.CancellationReasons?.[i]?.Code === 'ConditionalCheckFailed';
        if (failed(0)) return 'duplicate';
        if (failed(3)) return 'full';
        throw error;
      }
    },

    async find(credentialId) {
      const patientId = await ownerOf(credentialId);
      if (!patientId) return undefined;
      const { Item } = await callAws('dynamodb', () =>
        db.send(new GetCommand({ TableName: tableName, Key: keys.passkey(patientId, digestOf(credentialId)), ConsistentRead: true })));
      return Item ? fromItem(Item) : undefined;
    },

    async listFor(patientId) {
      const items: Record<string, any>[] = [];
      let start: Record<string, any> | undefined;
      do {
        const page = await callAws('dynamodb', () =>
          db.send(new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :credential)',
            ExpressionAttributeValues: { ':pk': keys.passkeysOf(patientId).pk, ':credential': 'CREDENTIAL#' },
            ConsistentRead: true,
            ...(start && { ExclusiveStartKey: start }),
          })),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items.map(fromItem).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    },

    async remove(patientId, credentialId, notice) {
      const digest = digestOf(credentialId);
      try {
        await retryingConflicts(() => callAws('dynamodb', () =>
          db.send(new TransactWriteCommand({
            TransactItems: [
              // Only the caller's own: the item sits in the caller's partition, and the owner must name the caller.
              { Delete: { TableName: tableName, Key: keys.passkey(patientId, digest), ConditionExpression: 'attribute_exists(pk)' } },
              {
                Delete: {
                  TableName: tableName,
                  Key: keys.passkeyOwner(digest),
                  ConditionExpression: 'patient_id = :patient',
                  ExpressionAttributeValues: { ':patient': patientId },
                },
              },
              { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
              // Frees its place under the cap (a passkey stored before the cap was never in the set: a no-op).
              { Update: { TableName: tableName, Key: keys.passkeyIds(patientId), UpdateExpression: 'DELETE ids :id', ExpressionAttributeValues: { ':id': new Set([digest]) } } },
            ],
          })),
        ));
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
        throw error;
      }
    },

    async advanceCounter({ id: credentialId, patientId }, next, usedAt) {
      try {
        await callAws('dynamodb', () =>
          db.send(new UpdateCommand({
            TableName: tableName,
            Key: keys.passkey(patientId, digestOf(credentialId)),
            UpdateExpression: 'SET #counter = :next, last_used_at = :at',
            // Forward only; an authenticator that keeps no counter reports 0 every time (WebAuthn §6.1.1).
            ConditionExpression: 'attribute_exists(pk) AND (#counter < :next OR (#counter = :zero AND :next = :zero))',
            ExpressionAttributeNames: { '#counter': 'counter' },
            ExpressionAttributeValues: { ':next': next, ':zero': 0, ':at': usedAt.toISOString() },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          })),
        );
        return 'advanced';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return error.Item ? 'not_forward' : 'unknown';
        throw error;
      }
    },
  };
}
