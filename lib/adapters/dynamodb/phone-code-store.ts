import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdentifierDigests } from '../../identifiers/ports.js';
import type { PhoneCodeAttempt, PhoneMoveAttempt, PhoneVerificationStore } from '../../phone/ports.js';
import { callAws } from '../aws-errors.js';
import { isPassingConflict, retryingConflicts } from './conflicts.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { outboxItem } from './outbox-store.js';
import { epochSeconds } from './patient-item.js';
import { findUnprovenHolder, takeOverPhoneWrites } from './phone-takeover.js';

const TTL_NAME = { '#ttl': TTL_ATTRIBUTE };
/** A reservation that is free: never written, or written by a registration that lapsed (as at registration). */
const FREE = 'attribute_not_exists(pk) OR #ttl <= :nowSeconds';

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
/**
 * `outboxShards`: the due index's shard count (OUTBOX_SHARDS), for the SMS each code queues;
 * `identifiers`: the keyed digests a moved number's reservation is keyed by.
 */
export function createDynamoPhoneCodeStore(db: DynamoDBDocumentClient, tableName: string, outboxShards: number, identifiers: IdentifierDigests): PhoneVerificationStore {
  /**
   * The writes of a right move code, beside the code's Delete: the patient's number replaced and
   * verified (only while it still has the reservations read here and is active), the new PHONE#
   * reservation put where it is free, or taken from an account holding it unproven (issue 19 item 4:
   * registration's takeover writes, phone-takeover.ts, under the holder's conditions, and its notice),
   * checked free under older key versions, the old reservation deleted, the notice queued.
   * `takenAt`: the indexes in `writes` whose failed condition means the number is not to be had.
   */
  async function moveWrites(patientId: string, newPhone: string, now: Date, { notice, takenOverNotice }: PhoneMoveAttempt) {
    const { Item: patient } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: keys.patient(patientId), ConsistentRead: true })));
    if (!patient) return undefined;
    const nowSeconds = epochSeconds(now);
    const at = now.toISOString();
    const phoneKeys = (await identifiers.all('phone', newPhone)).map(keys.phone);
    const [newKey, ...allOlderKeys] = phoneKeys;
    const reservation = { entity: 'reservation', patient_id: patientId, created_at: at };
    const holder = await findUnprovenHolder(db, tableName, newPhone, phoneKeys, patientId, nowSeconds);
    const takeover = holder && takeOverPhoneWrites(tableName, holder, newPhone, newKey!, reservation, now);
    // An older version's reservation the takeover overwrites is not also checked free.
    const olderKeys = allOlderKeys.filter((key) => key.pk !== takeover?.oldPk);
    const pks: string[] | undefined = patient.reservation_pks;
    const oldPks = (pks ?? []).filter((pk) => pk.startsWith('PHONE#'));
    const hasPhone = typeof patient.phone_number === 'string';
    // A number released to its proven owner (issue 19 item 4) is that owner's reservation now: nothing to release.
    const wasReleased = patient.phone_number_released === true;
    const released = wasReleased ? [] : oldPks.length > 0 || !hasPhone ? oldPks : (await identifiers.all('phone', patient.phone_number)).map((d) => keys.phone(d).pk);
    const newReservation = { ConditionExpression: FREE, ExpressionAttributeNames: TTL_NAME, ExpressionAttributeValues: { ':nowSeconds': nowSeconds } };
    const put = (item: Record<string, unknown>) => ({ Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } });
    // `taken`: a failed condition of this write means the number is not to be had.
    const writes: { write: object; taken?: true }[] = [
      {
        write: {
          Update: {
            TableName: tableName,
            Key: keys.patient(patientId),
            UpdateExpression: 'SET phone_number = :new, phone_verified = :yes, phone_verified_at = :at, updated_at = :at, reservation_pks = :pks REMOVE phone_number_released',
            ConditionExpression: `is_active = :yes AND ${hasPhone ? 'phone_number = :old' : 'attribute_not_exists(phone_number)'} AND ${pks ? 'reservation_pks = :oldPks' : 'attribute_not_exists(reservation_pks)'}`,
            ExpressionAttributeValues: {
              ':new': newPhone, ':yes': true, ':at': at, ...(hasPhone && { ':old': patient.phone_number }), ':pks': [...(pks ?? []).filter((pk) => !pk.startsWith('PHONE#')), newKey!.pk], ...(pks && { ':oldPks': pks }),
            },
          },
        },
      },
      { write: { Put: { TableName: tableName, Item: { ...newKey!, ...reservation }, ...(takeover?.reservationCondition ?? newReservation) } }, taken: true },
      ...olderKeys.map((key) => ({ write: { ConditionCheck: { TableName: tableName, Key: key, ...newReservation } }, taken: true as const })),
      ...released.map((pk) => ({
        write: { Delete: { TableName: tableName, Key: { pk, sk: 'UNIQUE' }, ConditionExpression: 'attribute_not_exists(pk) OR patient_id = :id', ExpressionAttributeValues: { ':id': patientId } } },
      })),
      { write: put(outboxItem(notice, outboxShards)) },
      // The holder released only while it still holds the number unproven, and told in the same write.
      ...(takeover?.writes ?? []).map((write) => ({ write, taken: true as const })),
      ...(holder ? [{ write: put(outboxItem(takenOverNotice(holder), outboxShards)) }] : []),
    ];
    return { writes: writes.map((w) => w.write), takenAt: writes.flatMap((w, i) => (w.taken ? [i] : [])), takenFrom: holder?.id };
  }

  /** One try: a move code only with `move` (POST /me/phone/verify), a verification code only without. */
  async function attempt(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number, move?: PhoneMoveAttempt): Promise<PhoneCodeAttempt> {
    const key = keys.phoneCode(patientId);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { Item: code } = await callAws('dynamodb', () => db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
      if (!code || (code.new_phone !== undefined) !== (move !== undefined)) return { outcome: 'none' };
      if (epochSeconds(new Date(code.expires_at)) <= epochSeconds(now)) return { outcome: 'expired' };
      if (Number(code.failures) >= maxWrongTries) return { outcome: 'exhausted' };
      const unchanged = { ':id': code.code_id, ':max': maxWrongTries };
      if (digests.includes(code.code_digest)) {
        const at = now.toISOString();
        const moving = move && (await moveWrites(patientId, String(code.new_phone), now, move));
        if (move && !moving) return { outcome: 'none' };
        try {
          await callAws('dynamodb', () =>
            db.send(new TransactWriteCommand({
              TransactItems: [
                { Delete: { TableName: tableName, Key: key, ConditionExpression: 'code_id = :id AND failures < :max', ExpressionAttributeValues: unchanged } },
                ...(moving ? moving.writes : [{
                  Update: {
                    TableName: tableName,
                    Key: keys.patient(patientId),
                    UpdateExpression: 'SET phone_verified = :yes, phone_verified_at = :at, updated_at = :at',
                    // A released number (taken over by its proven owner) is no longer this patient's to prove.
                    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(phone_number_released)',
                    ExpressionAttributeValues: { ':yes': true, ':at': at },
                  },
                }]),
              ],
            })),
          );
          return { outcome: 'verified', ...(moving?.takenFrom && { takenFrom: moving.takenFrom }) };
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const failed = (error.CancellationReasons ?? []).map((r) => r.Code === 'ConditionalCheckFailed');
          // The number is another account's (or its holder proved it meanwhile): nothing written, the code kept.
          // (+1: the code's Delete comes first.)
          if (moving && moving.takenAt.some((i) => failed[i + 1])) return { outcome: 'taken' };
          // The patient is gone or its number released: no code of it can verify anything.
          if (!moving && failed[1]) return { outcome: 'none' };
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
    return { outcome: 'exhausted' };
  }

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
                  ...(code.newPhone !== undefined && { new_phone: code.newPhone }),
                  [TTL_ATTRIBUTE]: epochSeconds(code.expiresAt) + RETENTION_SECONDS,
                },
              },
            },
            { Put: { TableName: tableName, Item: outboxItem(sms, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        })),
      ));
    },

    // Async methods that await: their names stay on the stack (the recorded AWS calls name the method).
    async attemptCode(patientId, digests, now, maxWrongTries) {
      return await attempt(patientId, digests, now, maxWrongTries);
    },
    async attemptMoveCode(patientId, digests, now, maxWrongTries, move) {
      return await attempt(patientId, digests, now, maxWrongTries, move);
    },
  };
}
