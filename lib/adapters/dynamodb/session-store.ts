import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../../errors.js';
import type { RotationResult, SessionStore } from '../../auth/session-ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** Ended families and their tokens stay a week past their absolute end (a late replay still reads as reuse), then TTL removes them. */
const RETENTION_SECONDS = 7 * 24 * 3600;
/** Rounds of read-then-conditional-write before giving up with a 503; each lost round means another writer won. */
const MAX_ROTATION_ROUNDS = 6;

const ttlAfter = (absoluteEndMs: number) => Math.floor(absoluteEndMs / 1000) + RETENTION_SECONDS;

interface FamilyItem {
  patient_id: string;
  current_hash: string;
  idle_ms: number;
  expires_at_ms: number;
  absolute_end_ms: number;
  revoked_at?: string;
}

/**
 * Families on the one table: `FAMILY#<id>` holds the current token's digest, the ends and the
 * revocation; `REFRESH#<digest>` maps every token ever issued to its family (a token is current
 * iff the family names it, so rotating never rewrites the old token's item); `SESSIONS#<patient>`
 * holds the patient's family ids. A rotation is one transaction conditioned on the family still
 * naming the presented token and not being revoked: of concurrent rotations only one can commit.
 */
export function createDynamoSessionStore(db: DynamoDBDocumentClient, tableName: string): SessionStore {
  const get = async (key: { pk: string; sk: string }) =>
    (await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })))).Item;

  async function revokeFamily(familyId: string, now: Date): Promise<void> {
    try {
      await callAws('dynamodb', () =>
        db.send(new UpdateCommand({
          TableName: tableName,
          Key: keys.sessionFamily(familyId),
          UpdateExpression: 'SET revoked_at = if_not_exists(revoked_at, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now.toISOString() },
        })),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // no such family (or TTL removed it)
    }
  }

  return {
    async startFamily({ familyId, patientId, tokenHash, now, idleTtlMs, absoluteTtlMs }) {
      const absoluteEnd = now.getTime() + absoluteTtlMs;
      const ttl = ttlAfter(absoluteEnd);
      const family: FamilyItem = {
        patient_id: patientId, current_hash: tokenHash, idle_ms: idleTtlMs,
        expires_at_ms: Math.min(now.getTime() + idleTtlMs, absoluteEnd), absolute_end_ms: absoluteEnd,
      };
      await callAws('dynamodb', () =>
        db.send(new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { ...keys.sessionFamily(familyId), entity: 'session_family', ...family, created_at: now.toISOString(), [TTL_ATTRIBUTE]: ttl }, ConditionExpression: 'attribute_not_exists(pk)' } },
            { Put: { TableName: tableName, Item: { ...keys.refreshToken(tokenHash), entity: 'refresh_token', family_id: familyId, [TTL_ATTRIBUTE]: ttl }, ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Update: {
                TableName: tableName,
                Key: keys.patientSessions(patientId),
                // Families of one patient share the absolute lifetime, so the newest family ends last.
                UpdateExpression: 'ADD family_ids :id SET #ttl = :ttl, entity = :entity',
                ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
                ExpressionAttributeValues: { ':id': new Set([familyId]), ':ttl': ttl, ':entity': 'patient_sessions' },
              },
            },
          ],
        })),
      );
    },

    async rotate(presentedHash, newHash, now): Promise<RotationResult> {
      for (let round = 1; round <= MAX_ROTATION_ROUNDS; round++) {
        const token = await get(keys.refreshToken(presentedHash));
        const family = token && ((await get(keys.sessionFamily(token.family_id))) as FamilyItem | undefined);
        if (!token || !family) return { outcome: 'unknown' };
        const ref = { patientId: family.patient_id, familyId: token.family_id as string };
        if (family.current_hash !== presentedHash) {
          await revokeFamily(ref.familyId, now);
          return { outcome: 'reused', ...ref };
        }
        if (family.revoked_at !== undefined) return { outcome: 'revoked' };
        if (now.getTime() >= family.expires_at_ms) return { outcome: 'expired' };
        const expiresAt = Math.min(now.getTime() + family.idle_ms, family.absolute_end_ms);
        try {
          await callAws('dynamodb', () =>
            db.send(new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: tableName,
                    Key: keys.sessionFamily(ref.familyId),
                    UpdateExpression: 'SET current_hash = :new, expires_at_ms = :expires',
                    ConditionExpression: 'current_hash = :presented AND attribute_not_exists(revoked_at)',
                    ExpressionAttributeValues: { ':new': newHash, ':expires': expiresAt, ':presented': presentedHash },
                  },
                },
                {
                  Put: {
                    TableName: tableName,
                    Item: { ...keys.refreshToken(newHash), entity: 'refresh_token', family_id: ref.familyId, [TTL_ATTRIBUTE]: ttlAfter(family.absolute_end_ms) },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
              ],
            })),
          );
          return { outcome: 'rotated', ...ref, expiresAt: new Date(expiresAt) };
        } catch (error) {
          // Another rotation or a revocation got there first (or is committing): read again and report what it left.
          if (!(error instanceof TransactionCanceledException)) throw error;
          const codes = (error.CancellationReasons ?? []).map((r) => r.Code);
          if (codes[1] === 'ConditionalCheckFailed') throw new Error('refresh token digest already issued'); // 2^256 space: a bug, not luck
          if (!codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) throw error;
        }
      }
      throw new ServiceUnavailableError('dynamodb');
    },

    async familyOf(tokenHash) {
      const token = await get(keys.refreshToken(tokenHash));
      const family = token && (await get(keys.sessionFamily(token.family_id)));
      return token && family ? { familyId: token.family_id, patientId: family.patient_id } : undefined;
    },

    revokeFamily,

    async revokeAllFor(patientId, now, exceptFamilyId) {
      const index = await get(keys.patientSessions(patientId));
      const ids = [...((index?.family_ids as Set<string> | undefined) ?? [])].filter((id) => id !== exceptFamilyId);
      // Ids of families TTL already removed stay in the set; revoking them is a no-op.
      await Promise.all(ids.map((id) => revokeFamily(id, now)));
    },
  };
}
