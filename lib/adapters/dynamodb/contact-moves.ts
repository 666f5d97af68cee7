import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdentifierDigests } from '../../identifiers/ports.js';
import { ServiceUnavailableError } from '../../errors.js';
import type { ContactMoveStore, EmailMoveConfirmation, EmailMoveLink, EmailMoveOutcome } from '../../record/ports.js';
import { callAws } from '../aws-errors.js';
import { retryingConflicts } from './conflicts.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { outboxItem } from './outbox-store.js';
import { epochSeconds, hasLapsed } from './patient-item.js';
import { endFamiliesWrites, sessionsIndexChanged } from './session-store.js';

/** A used or expired link stays a week so a late click still gets "expired"/"used", then TTL removes it. */
const TOKEN_RETENTION_SECONDS = 7 * 24 * 3600;
const TTL_NAME = { '#ttl': TTL_ATTRIBUTE };
const NOT_LAPSED = '(attribute_not_exists(#ttl) OR #ttl > :nowSeconds)';
/** A reservation that is free: never written, or written by a registration that lapsed. */
const FREE = 'attribute_not_exists(pk) OR #ttl <= :nowSeconds';
const failedAt = (error: TransactionCanceledException) => (error.CancellationReasons ?? []).map((r) => r.Code === 'ConditionalCheckFailed');
/**
 * A move's write refused only because something it read changed since: the patient (its condition) or
 * the patient's sessions (a sign-in moved their version: endFamiliesWrites). Judged again, on fresh reads.
 */
const CHANGED_SINCE_READ = Symbol('changed since read');
/** Judge-and-write rounds of a confirmation before a 503 (each lost to a change in between). */
const CONFIRM_ROUNDS = 3;

interface MoveToken { patient_id: string; new_email: string; keep_session_id?: string; expires_at: number; used_at?: string }

/**
 * Email moves on the patient table. A move link is an `EMAILMOVE#<digest>` item holding the new
 * address and the session to keep; the patient names its newest as `email_move_token_hash`. The
 * move is one transaction: the link used, the patient's email and `reservation_pks` replaced (only
 * while it names this link, has the expected email and is active), the new `EMAIL#` reservation put
 * under the same "free" condition a registration's is (older key versions checked too), the old
 * reservation deleted, the notice queued and the other sessions ended. A write refused only by the
 * patient's condition (it changed since the read) is judged again, so a concurrent change that leaves
 * the move possible does not refuse it, as in the SQL stores. A later "possession wins"
 * rule for who may take an address belongs in `newReservationCondition`, the one place the new
 * reservation's condition is written.
 */
export function createDynamoContactMoves(db: DynamoDBDocumentClient, tableName: string, identifiers: IdentifierDigests, outboxShards: number): ContactMoveStore {
  const get = async (key: Record<string, string>) =>
    (await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })))).Item;
  const putOutbox = (item: Parameters<typeof outboxItem>[0]) => ({ Put: { TableName: tableName, Item: outboxItem(item, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } });

  /** The reads that decide what using a link would meet now; writes nothing. */
  async function judge(tokenHash: string, now: Date) {
    const token = (await get(keys.emailMoveToken(tokenHash))) as MoveToken | undefined;
    if (!token) return { state: 'unknown' } as const;
    const patient = await get(keys.patient(token.patient_id));
    if (!patient || hasLapsed(patient, epochSeconds(now))) return { state: 'unknown' } as const;
    if (token.used_at) return { state: 'used' } as const;
    if (token.expires_at <= epochSeconds(now)) return { state: 'expired' } as const;
    if (patient.email_move_token_hash !== tokenHash) return { state: 'superseded' } as const;
    return { state: 'usable', token, patient } as const;
  }

  /** Where the new address may be reserved: free (or a lapsed registration's), as for a registration. */
  const newReservationCondition = (nowSeconds: number) => ({ ConditionExpression: FREE, ExpressionAttributeNames: TTL_NAME, ExpressionAttributeValues: { ':nowSeconds': nowSeconds } });

  /**
   * The move's one transaction, on the link and patient as judged: the outcome, or CHANGED_SINCE_READ when
   * only the patient's condition or the sessions' version failed (judged again by the caller).
   */
  async function writeMove(token: MoveToken, patient: Record<string, any>, { tokenHash, patientId, expectedEmail, notice, now }: EmailMoveConfirmation): Promise<EmailMoveOutcome | typeof CHANGED_SINCE_READ> {
    const nowSeconds = epochSeconds(now);
    const at = now.toISOString();
    const [newKey, ...olderNewKeys] = (await identifiers.all('email', token.new_email)).map(keys.email);
    // The old reservation as it was written (reservation_pks), whatever the current identifier key.
    const pks: string[] | undefined = patient.reservation_pks;
    const oldPks = (pks ?? []).filter((pk) => pk.startsWith('EMAIL#'));
    const released = oldPks.length > 0 ? oldPks : (await identifiers.all('email', expectedEmail)).map((d) => keys.email(d).pk);
    const reservationPks = [newKey!.pk, ...(pks ?? []).filter((pk) => !pk.startsWith('EMAIL#'))];
    const items = [
      {
        Update: {
          TableName: tableName,
          Key: keys.emailMoveToken(tokenHash),
          UpdateExpression: 'SET used_at = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :nowSeconds',
          ExpressionAttributeValues: { ':at': at, ':nowSeconds': nowSeconds },
        },
      },
      {
        Update: {
          TableName: tableName,
          Key: keys.patient(patientId),
          UpdateExpression: 'SET email = :new, email_verified = :yes, updated_at = :at, reservation_pks = :pks REMOVE email_move_token_hash',
          // Only the newest link, at the address the notice goes to, of an active patient; a phone move
          // racing this one changes reservation_pks, and then this move is judged again (confirmEmailMove).
          ConditionExpression: `email_move_token_hash = :hash AND email = :old AND is_active = :yes AND ${pks ? 'reservation_pks = :oldPks' : 'attribute_not_exists(reservation_pks)'} AND ${NOT_LAPSED}`,
          ExpressionAttributeNames: TTL_NAME,
          ExpressionAttributeValues: { ':new': token.new_email, ':yes': true, ':at': at, ':pks': reservationPks, ':hash': tokenHash, ':old': expectedEmail, ...(pks && { ':oldPks': pks }), ':nowSeconds': nowSeconds },
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { ...newKey!, entity: 'reservation', patient_id: patientId, created_at: at },
          ...newReservationCondition(nowSeconds),
        },
      },
      // A reservation of the new address under an older key version still counts during a rotation.
      ...olderNewKeys.map((key) => ({ ConditionCheck: { TableName: tableName, Key: key, ...newReservationCondition(nowSeconds) } })),
      ...released.map((pk) => ({
        Delete: {
          TableName: tableName,
          Key: { pk, sk: 'UNIQUE' },
          ConditionExpression: 'attribute_not_exists(pk) OR patient_id = :id',
          ExpressionAttributeValues: { ':id': patientId },
        },
      })),
      putOutbox(notice),
      ...(await endFamiliesWrites(db, tableName, patientId, now, token.keep_session_id)),
    ];
    try {
      await retryingConflicts(() => callAws('dynamodb', () => db.send(new TransactWriteCommand({ TransactItems: items }))));
      return { outcome: 'moved', email: token.new_email };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = failedAt(error);
      if (failed[0]) return { outcome: 'used' };
      if (failed[1] || sessionsIndexChanged(error)) return CHANGED_SINCE_READ;
      if (failed.slice(2, 3 + olderNewKeys.length).some(Boolean)) return { outcome: 'taken' };
      throw error;
    }
  }

  return {
    async requestEmailMove({ patientId, newEmail, tokenHash, expiresAt, keepSessionId, link, notice, now }) {
      const expires = epochSeconds(expiresAt);
      try {
        await retryingConflicts(() => callAws('dynamodb', () => db.send(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.patient(patientId),
                // The newest link wins: whatever move link the patient held before reads "superseded".
                UpdateExpression: 'SET email_move_token_hash = :hash',
                ConditionExpression: `attribute_exists(pk) AND is_active = :yes AND email_verified = :yes AND ${NOT_LAPSED}`,
                ExpressionAttributeNames: TTL_NAME,
                ExpressionAttributeValues: { ':hash': tokenHash, ':yes': true, ':nowSeconds': epochSeconds(now) },
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.emailMoveToken(tokenHash), entity: 'email_move_token', patient_id: patientId, new_email: newEmail, expires_at: expires,
                  ...(keepSessionId && { keep_session_id: keepSessionId }), [TTL_ATTRIBUTE]: expires + TOKEN_RETENTION_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            putOutbox(link),
            putOutbox(notice),
          ],
        }))));
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && failedAt(error)[0]) return false;
        throw error;
      }
    },

    async emailMoveLink(tokenHash, now): Promise<EmailMoveLink> {
      const judged = await judge(tokenHash, now);
      return judged.state === 'usable' ? { state: 'usable', patientId: judged.token.patient_id } : judged;
    },

    async confirmEmailMove(confirmation) {
      const { tokenHash, patientId, expectedEmail, now } = confirmation;
      // A write refused only by the patient's condition met a concurrent change of the patient (a phone
      // move replaces reservation_pks) that may leave the move possible, or a sign-in the sessions it
      // ends must include: it is judged again on fresh reads, as the SQL stores' row lock makes the
      // move wait for that change and then go ahead.
      for (let round = 1; ; round++) {
        const judged = await judge(tokenHash, now);
        if (judged.state !== 'usable') return { outcome: judged.state };
        const { token, patient } = judged;
        if (token.patient_id !== patientId) return { outcome: 'unknown' };
        // Another move or a close won meanwhile: what the SQL stores' UPDATE … WHERE email = … AND is_active finds.
        if (patient.email !== expectedEmail || patient.is_active !== true) return { outcome: 'superseded' };
        const written = await writeMove(token, patient, confirmation);
        if (written !== CHANGED_SINCE_READ) return written;
        if (round >= CONFIRM_ROUNDS) throw new ServiceUnavailableError('dynamodb');
      }
    },
  };
}
