import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandInput, type BatchGetCommandOutput, GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../../errors.js';
import { acrOf, type SignInAssurance } from '../../auth/assurance.js';
import type { FamilyRef, FamilyStart, LiveSession, RotationResult, SessionStore } from '../../auth/session-ports.js';
import { callAws } from '../aws-errors.js';
import { retryingConflicts, type ConflictRetryOptions } from './conflicts.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** Ended families and their tokens stay a week past their absolute end (a late replay still reads as reuse), then TTL removes them. */
const RETENTION_SECONDS = 7 * 24 * 3600;
/** Rounds of read-then-conditional-write before giving up with a 503; each lost round means another writer won. */
const MAX_ROTATION_ROUNDS = 6;
/**
 * Live families one patient may hold; a sign-in beyond it ends the oldest. It keeps the patient's
 * index small and lets a password write revoke every family in its one transaction (at most 100
 * items, of which the password write itself needs up to 6).
 */
export const MAX_LIVE_FAMILIES = 40;
/** The index's attribute for one family: its absolute end (ms), so pruning needs no family read. */
const FAMILY_ATTRIBUTE = 'F#';
/** The index's old form: a string set of every family id ever started (read, revoked, then removed). */
const LEGACY_FAMILY_IDS = 'family_ids';
/** Moved by every new family: a write that ends them all is conditioned on the version it read. */
const INDEX_VERSION = 'version';

const ttlAfter = (absoluteEndMs: number) => Math.floor(absoluteEndMs / 1000) + RETENTION_SECONDS;
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface FamilyItem {
  patient_id: string;
  current_hash: string;
  idle_ms: number;
  expires_at_ms: number;
  absolute_end_ms: number;
  revoked_at?: string;
  /** The token the current one replaced, and when: a retry of that rotation gets the same successor. */
  previous_hash?: string;
  rotated_at_ms?: number;
  created_at?: string;
  /** The sign-in or the newest rotation; absent in families started before the session list. */
  last_used_at_ms?: number;
  device?: string;
  /** How the family was signed in (issue 21); absent in families started before. amr is a list. */
  amr?: string[];
  auth_time_ms?: number;
  acr?: string;
}

/** The family's stored sign-in (acr follows amr, as when it was written); undefined before issue 21. */
function assuranceOfItem(family: FamilyItem): SignInAssurance | undefined {
  if (!Array.isArray(family.amr) || family.auth_time_ms === undefined) return undefined;
  return { amr: family.amr, authTime: new Date(Number(family.auth_time_ms)), acr: acrOf(family.amr) };
}

/** BatchGetItem's limit of keys per request. */
const BATCH_GET_KEYS = 100;
/** Rounds of re-asking for keys a BatchGet left unprocessed (throttling) before a 503. */
const MAX_BATCH_ROUNDS = 5;

/** The patient's live families (id → absolute end, ms) and any ids left in the old string set. */
interface FamilyIndex {
  families: Map<string, number>;
  legacyIds: string[];
}

function readIndex(item: Record<string, unknown> | undefined): FamilyIndex {
  const families = new Map<string, number>();
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith(FAMILY_ATTRIBUTE)) families.set(name.slice(FAMILY_ATTRIBUTE.length), Number(value));
  }
  return { families, legacyIds: [...((item?.[LEGACY_FAMILY_IDS] as Set<string> | undefined) ?? [])] };
}

/** `REMOVE #f0, #f1 …` with the names, for the index's attributes of `ids` (undefined when none). */
function removeFamilies(ids: string[], prefix = 'r'): { clause: string; names: Record<string, string> } | undefined {
  if (ids.length === 0) return undefined;
  const names = Object.fromEntries(ids.map((id, i) => [`#${prefix}${i}`, `${FAMILY_ATTRIBUTE}${id}`]));
  return { clause: Object.keys(names).join(', '), names };
}

/** Revokes a family as part of a transaction. A family TTL already removed gets a stub that only says "revoked" (and expires). */
function revokeFamilyItem(tableName: string, familyId: string, now: Date) {
  return {
    Update: {
      TableName: tableName,
      Key: keys.sessionFamily(familyId),
      UpdateExpression: 'SET revoked_at = if_not_exists(revoked_at, :now), #ttl = if_not_exists(#ttl, :ttl)',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': now.toISOString(), ':ttl': Math.floor(now.getTime() / 1000) + RETENTION_SECONDS },
    },
  };
}

/**
 * The writes that end every family of a patient but `keepFamilyId`, for the caller's own
 * transaction (a password reset or change, a close, an email move): each family revoked and the
 * index emptied of them. Ids left in the index's old string set (written before the index kept only
 * live families) are revoked first, outside the transaction, and the set removed inside it.
 *
 * The index's write (or, with nothing to end, a ConditionCheck of it) is conditioned on its
 * `version` as read, which every new family moves: a sign-in that commits between this read and the
 * caller's commit fails the caller's transaction instead of surviving it ("every session ends").
 * `retryingSessionChanges` runs the caller again, with a fresh read.
 */
export async function endFamiliesWrites(db: DynamoDBDocumentClient, tableName: string, patientId: string, now: Date, keepFamilyId?: string): Promise<object[]> {
  const { Item } = await callAws('dynamodb', () =>
    db.send(new GetCommand({ TableName: tableName, Key: keys.patientSessions(patientId), ConsistentRead: true })));
  const { families, legacyIds } = readIndex(Item);
  const ended = [...families.keys()].filter((id) => id !== keepFamilyId);
  const legacy = legacyIds.filter((id) => id !== keepFamilyId && !families.has(id));
  for (const id of legacy) await callAws('dynamodb', () => db.send(new UpdateCommand(revokeFamilyItem(tableName, id, now).Update)));
  const version = Item?.[INDEX_VERSION] as number | undefined;
  const unchanged = {
    ConditionExpression: version === undefined ? `attribute_not_exists(${INDEX_VERSION})` : `${INDEX_VERSION} = :version`,
    ...(version !== undefined && { ExpressionAttributeValues: { ':version': version } }),
    // The item as it is now comes back with a refusal: sessionsIndexChanged tells this refusal by it.
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
  const removal = removeFamilies(ended);
  if (!removal && legacyIds.length === 0) return [{ ConditionCheck: { TableName: tableName, Key: keys.patientSessions(patientId), ...unchanged } }];
  const removed = [removal?.clause, legacyIds.length > 0 ? LEGACY_FAMILY_IDS : undefined].filter(Boolean).join(', ');
  return [
    ...ended.map((id) => revokeFamilyItem(tableName, id, now)),
    {
      Update: {
        TableName: tableName,
        Key: keys.patientSessions(patientId),
        UpdateExpression: `REMOVE ${removed}`,
        ...(removal && { ExpressionAttributeNames: removal.names }),
        ...unchanged,
      },
    },
  ];
}

/** Whether a transaction was refused because the patient's session index moved (a sign-in) after endFamiliesWrites read it. */
export function sessionsIndexChanged(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  return (error.CancellationReasons ?? []).some((reason) => {
    if (reason.Code !== 'ConditionalCheckFailed') return false;
    const entity = (reason.Item as Record<string, unknown> | undefined)?.entity as unknown;
    // The low-level shape ({ S: … }) or, through the document client, the plain value.
    return entity === 'patient_sessions' || (entity as { S?: string } | undefined)?.S === 'patient_sessions';
  });
}

/** How many times a write that ends sessions is run again after a sign-in slipped in: each round is a new read. */
const SESSION_CHANGE_ROUNDS = 5;

/**
 * Runs `attempt` (which reads the sessions with endFamiliesWrites and writes) again while a session
 * started between its read and its write. A sign-in every few milliseconds cannot hold it off for
 * long: each round takes the new family along; after SESSION_CHANGE_ROUNDS, a 503 (nothing written).
 */
export async function retryingSessionChanges<T>(attempt: () => Promise<T>): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (!sessionsIndexChanged(error)) throw error;
      if (round >= SESSION_CHANGE_ROUNDS) throw new ServiceUnavailableError('dynamodb');
    }
  }
}

/**
 * Families on the one table: `FAMILY#<id>` holds the current token's digest (and the one it
 * replaced), the ends and the revocation; `REFRESH#<digest>` maps every token ever issued to its
 * family (a token is current iff the family names it, so rotating never rewrites the old token's
 * item); `SESSIONS#<patient>` holds one attribute per live family (`F#<id>` = its absolute end), so
 * ending them all, or listing them (one Get of the index, then BatchGet of the families), needs no
 * Scan. Revoking a family removes it from the index; starting one prunes
 * those past their absolute end, and beyond MAX_LIVE_FAMILIES ends the oldest. A rotation is one
 * transaction conditioned on the family still naming the presented token and not being revoked: of
 * concurrent rotations only one can commit. Writes to the patient's index (two sign-ins at once, a
 * revocation racing a sign-in) conflict in DynamoDB rather than wait: they are retried.
 */
export function createDynamoSessionStore(db: DynamoDBDocumentClient, tableName: string, { attempts = 6, sleep = wait }: ConflictRetryOptions = {}): SessionStore {
  const retry = { attempts, sleep };
  const get = async (key: { pk: string; sk: string }, projection?: string) =>
    (await callAws('dynamodb', () =>
      db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true, ...(projection && { ProjectionExpression: projection }) })))).Item;
  const transact = (items: object[]) =>
    retryingConflicts(() => callAws('dynamodb', () => db.send(new TransactWriteCommand({ TransactItems: items as never }))), retry);

  async function revokeFamily({ familyId, patientId }: FamilyRef, now: Date): Promise<void> {
    try {
      await transact([
        { Update: { ...revokeFamilyItem(tableName, familyId, now).Update, ConditionExpression: 'attribute_exists(pk)' } },
        {
          Update: {
            TableName: tableName,
            Key: keys.patientSessions(patientId),
            UpdateExpression: 'REMOVE #family',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#family': `${FAMILY_ATTRIBUTE}${familyId}` },
          },
        },
      ]);
    } catch (error) {
      // No such family (or TTL removed it), or no index (a family started before the index kept live
      // ones): revoke what exists, one item at a time.
      if (!(error instanceof TransactionCanceledException)) throw error;
      try {
        await retryingConflicts(() => callAws('dynamodb', () =>
          db.send(new UpdateCommand({ ...revokeFamilyItem(tableName, familyId, now).Update, ConditionExpression: 'attribute_exists(pk)' }))), retry);
      } catch (inner) {
        if (!(inner instanceof ConditionalCheckFailedException)) throw inner;
      }
    }
  }

  return {
    async startFamily({ familyId, patientId, tokenHash, now, idleTtlMs, absoluteTtlMs, device, assurance, credential }): Promise<FamilyStart> {
      const absoluteEnd = now.getTime() + absoluteTtlMs;
      const ttl = ttlAfter(absoluteEnd);
      const family: FamilyItem = {
        patient_id: patientId, current_hash: tokenHash, idle_ms: idleTtlMs,
        expires_at_ms: Math.min(now.getTime() + idleTtlMs, absoluteEnd), absolute_end_ms: absoluteEnd,
        last_used_at_ms: now.getTime(), ...(device !== undefined && { device }),
        ...(assurance && { amr: assurance.amr, auth_time_ms: assurance.authTime.getTime(), acr: assurance.acr }),
      };
      // The patient's state the family is started under, checked in the family's own transaction: a
      // reset, change or close that commits first (or meanwhile: a conflict, retried) refuses it.
      const patientCheck = {
        ConditionCheck: {
          TableName: tableName,
          Key: keys.patient(patientId),
          ConditionExpression: `is_active = :yes${credential ? ' AND password_hash = :matched' : ''}`,
          ExpressionAttributeValues: { ':yes': true, ...(credential && { ':matched': credential.passwordHash }) },
        },
      };
      return retryingConflicts(async (): Promise<FamilyStart> => {
        // Read each round: a conflict means another sign-in changed the index.
        const { families } = readIndex(await get(keys.patientSessions(patientId)));
        const over = [...families].filter(([, end]) => end <= now.getTime()).map(([id]) => id);
        const live = [...families].filter(([, end]) => end > now.getTime()).sort((a, b) => a[1] - b[1]);
        const evicted = live.slice(0, Math.max(0, live.length - MAX_LIVE_FAMILIES + 1)).map(([id]) => id);
        const removal = removeFamilies([...over, ...evicted]);
        const writes = [
          { Put: { TableName: tableName, Item: { ...keys.sessionFamily(familyId), entity: 'session_family', ...family, created_at: now.toISOString(), [TTL_ATTRIBUTE]: ttl }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: tableName, Item: { ...keys.refreshToken(tokenHash), entity: 'refresh_token', family_id: familyId, [TTL_ATTRIBUTE]: ttl }, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: tableName,
              Key: keys.patientSessions(patientId),
              // Families of one patient share the absolute lifetime, so the newest family ends last.
              // The version moves: a reset, change or close that read the index before this commits is refused and reads again.
              UpdateExpression: `SET #new = :end, #ttl = :ttl, entity = :entity ADD #version :one${removal ? ` REMOVE ${removal.clause}` : ''}`,
              ExpressionAttributeNames: { '#new': `${FAMILY_ATTRIBUTE}${familyId}`, '#ttl': TTL_ATTRIBUTE, '#version': INDEX_VERSION, ...removal?.names },
              ExpressionAttributeValues: { ':end': absoluteEnd, ':ttl': ttl, ':entity': 'patient_sessions', ':one': 1 },
            },
          },
          ...evicted.map((id) => revokeFamilyItem(tableName, id, now)),
        ];
        try {
          // The patient's check goes last, so a cancellation's reasons keep the writes' positions.
          await callAws('dynamodb', () => db.send(new TransactWriteCommand({ TransactItems: [...writes, patientCheck] as never })));
          return 'started';
        } catch (error) {
          if (error instanceof TransactionCanceledException && error.CancellationReasons?.[writes.length]?.Code === 'ConditionalCheckFailed') return 'refused';
          throw error;
        }
      }, retry);
    },

    async rotate(presentedHash, newHash, now, reuseIntervalMs): Promise<RotationResult> {
      for (let round = 1; round <= MAX_ROTATION_ROUNDS; round++) {
        const token = await get(keys.refreshToken(presentedHash));
        const family = token && ((await get(keys.sessionFamily(token.family_id))) as FamilyItem | undefined);
        if (!token || !family?.patient_id) return { outcome: 'unknown' };
        const ref = { patientId: family.patient_id, familyId: token.family_id as string };
        if (family.current_hash !== presentedHash) {
          const repeat = family.previous_hash === presentedHash && family.current_hash === newHash &&
            now.getTime() - (family.rotated_at_ms ?? 0) < reuseIntervalMs;
          if (!repeat) {
            await revokeFamily(ref, now);
            return { outcome: 'reused', ...ref };
          }
        }
        if (family.revoked_at !== undefined) return { outcome: 'revoked' };
        if (now.getTime() >= family.expires_at_ms) return { outcome: 'expired' };
        const assurance = assuranceOfItem(family);
        if (family.current_hash === newHash) return { outcome: 'rotated', ...ref, expiresAt: new Date(family.expires_at_ms), repeated: true, ...(assurance && { assurance }) };
        const expiresAt = Math.min(now.getTime() + family.idle_ms, family.absolute_end_ms);
        try {
          await callAws('dynamodb', () =>
            db.send(new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: tableName,
                    Key: keys.sessionFamily(ref.familyId),
                    UpdateExpression: 'SET current_hash = :new, expires_at_ms = :expires, previous_hash = :presented, rotated_at_ms = :now, last_used_at_ms = :now',
                    ConditionExpression: 'current_hash = :presented AND attribute_not_exists(revoked_at)',
                    ExpressionAttributeValues: { ':new': newHash, ':expires': expiresAt, ':presented': presentedHash, ':now': now.getTime() },
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
          return { outcome: 'rotated', ...ref, expiresAt: new Date(expiresAt), ...(assurance && { assurance }) };
        } catch (error) {
          // Another rotation or a revocation got there first (or is committing): read again and report what it left.
          if (!(error instanceof TransactionCanceledException)) throw error;
          const codes = (error.CancellationReasons ?? []).map((r) => r.Code);
          if (codes[0] !== 'ConditionalCheckFailed' && codes[1] === 'ConditionalCheckFailed') throw new Error('refresh token digest already issued'); // 2^256 space: a bug, not luck
          if (!codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) throw error;
          await sleep(Math.random() * 10 * round);
        }
      }
      throw new ServiceUnavailableError('dynamodb');
    },

    async familyOf(tokenHash) {
      const token = await get(keys.refreshToken(tokenHash));
      const family = token && (await get(keys.sessionFamily(token.family_id)));
      return token && family?.patient_id ? { familyId: token.family_id, patientId: family.patient_id } : undefined;
    },

    async isLive({ familyId, patientId }, now) {
      const family = await get(keys.sessionFamily(familyId), 'patient_id, revoked_at, expires_at_ms');
      return family?.patient_id === patientId && family.revoked_at === undefined && now.getTime() < Number(family.expires_at_ms);
    },

    revokeFamily,

    async listLive(patientId, now): Promise<LiveSession[]> {
      // The index names the candidates; each family's own item decides (it may be revoked or idle-expired).
      const { families, legacyIds } = readIndex(await get(keys.patientSessions(patientId)));
      const ids = [...new Set([...[...families].filter(([, end]) => end > now.getTime()).map(([id]) => id), ...legacyIds])];
      const items = await batchGetFamilies(ids);
      return items
        .filter((item) => item.patient_id === patientId && item.revoked_at === undefined && now.getTime() < item.expires_at_ms)
        .map((item) => {
          const createdAt = new Date(item.created_at ?? 0);
          return {
            familyId: item.pk.slice('FAMILY#'.length),
            createdAt,
            lastUsedAt: item.last_used_at_ms === undefined ? createdAt : new Date(item.last_used_at_ms),
            ...(item.device !== undefined && { device: item.device }),
          };
        });
    },

    async endOwn({ familyId, patientId }, now) {
      // Ownership and liveness are the family update's condition: decided in the write, not before it.
      const endFamily = {
        TableName: tableName,
        Key: keys.sessionFamily(familyId),
        UpdateExpression: 'SET revoked_at = :now',
        ConditionExpression: 'patient_id = :patient AND attribute_not_exists(revoked_at) AND expires_at_ms > :nowMs',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':patient': patientId, ':nowMs': now.getTime() },
      };
      try {
        await transact([
          { Update: endFamily },
          {
            Update: {
              TableName: tableName,
              Key: keys.patientSessions(patientId),
              UpdateExpression: 'REMOVE #family',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#family': `${FAMILY_ATTRIBUTE}${familyId}` },
            },
          },
        ]);
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [family, index] = (error.CancellationReasons ?? []).map((r) => r.Code);
        if (family === 'ConditionalCheckFailed') return false;
        if (index !== 'ConditionalCheckFailed') throw error;
      }
      // No index (a family started before the index kept live ones): the family alone, same condition.
      try {
        await retryingConflicts(() => callAws('dynamodb', () => db.send(new UpdateCommand(endFamily))), retry);
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async endOthers(patientId, keepFamilyId, now) {
      // Read the index each round: a conflict, or a new family (its version moved), means a sign-in
      // or a revocation changed it meanwhile.
      await retryingSessionChanges(() => retryingConflicts(async () => {
        const writes = await endFamiliesWrites(db, tableName, patientId, now, keepFamilyId);
        // Nothing to end but the index's check: no write.
        if (writes.some((write) => !('ConditionCheck' in write))) await callAws('dynamodb', () => db.send(new TransactWriteCommand({ TransactItems: writes as never })));
      }, retry));
    },
  };

  /** The families' items (consistent reads), BatchGet by BatchGet: never a Scan. */
  async function batchGetFamilies(ids: string[]): Promise<(FamilyItem & { pk: string })[]> {
    const found: (FamilyItem & { pk: string })[] = [];
    for (let start = 0; start < ids.length; start += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] | undefined = ids.slice(start, start + BATCH_GET_KEYS).map((id) => keys.sessionFamily(id));
      for (let round = 1; pending && pending.length > 0; round++) {
        if (round > MAX_BATCH_ROUNDS) throw new ServiceUnavailableError('dynamodb');
        if (round > 1) await sleep(Math.random() * 25 * 2 ** round);
        const request: BatchGetCommandInput = { RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } };
        const answer: BatchGetCommandOutput = await callAws('dynamodb', () => db.send(new BatchGetCommand(request)));
        found.push(...((answer.Responses?.[tableName] ?? []) as (FamilyItem & { pk: string })[]));
        pending = answer.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return found;
  }
}
