import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { hasLapsed } from './patient-item.js';

/*
 * Possession of a number wins (issue 19 item 4): the writes that take a number from the account
 * holding it unproven, shared by a registration with a claim code (patient-repository.ts) and a phone
 * move (phone-code-store.ts), each putting them in its own transaction.
 */

/** What a takeover conditions on and whom it tells: the holder as read, before the write. */
export interface UnprovenHolder {
  id: string;
  email: string;
  reservation_pks?: string[];
}

/**
 * The holder flagged released and its phone reservation dropped from reservation_pks (else verifying
 * or closing it would touch the taker's), only while it still holds the number unproven. Its
 * reservation item is overwritten in place when it sits under the current key (`reservationCondition`
 * for the taker's Put); under an older key version (a rotation under way) it is overwritten too, with
 * the taker's reservation, beside the new one under the current key (a Put: no delete of a
 * reservation is granted to the register function). `oldPk`: that older reservation, which the taker
 * must not also check free.
 */
export function takeOverPhoneWrites(tableName: string, holder: Pick<UnprovenHolder, 'id' | 'reservation_pks'>, phone: string, phoneKey: { pk: string }, reservation: Record<string, unknown>, now: Date) {
  const pks = holder.reservation_pks ?? [];
  const index = pks.findIndex((pk) => pk.startsWith('PHONE#'));
  const oldPk = index >= 0 ? pks[index] : undefined;
  const heldBy = { ConditionExpression: 'patient_id = :holder', ExpressionAttributeValues: { ':holder': holder.id } };
  const writes: object[] = [{
    Update: {
      TableName: tableName,
      Key: keys.patient(holder.id),
      UpdateExpression: `SET phone_number_released = :yes, updated_at = :at${oldPk ? ` REMOVE reservation_pks[${index}]` : ''}`,
      ConditionExpression: `phone_number = :phone AND phone_verified = :no AND attribute_not_exists(phone_number_released)${oldPk ? ` AND reservation_pks[${index}] = :oldPk` : ''}`,
      ExpressionAttributeValues: { ':yes': true, ':no': false, ':at': now.toISOString(), ':phone': phone, ...(oldPk && { ':oldPk': oldPk }) },
    },
  }];
  if (oldPk && oldPk !== phoneKey.pk) writes.push({ Put: { TableName: tableName, Item: { pk: oldPk, sk: 'UNIQUE', ...reservation }, ...heldBy } });
  return { oldPk, writes, reservationCondition: oldPk === phoneKey.pk ? heldBy : undefined };
}

/**
 * The live account other than `takerId` holding `phone` without having proven it (not released, not
 * lapsed), read under every key version of the number; undefined when the number is free, lapsed or
 * held proven. Only a read: the takeover's conditions decide.
 */
export async function findUnprovenHolder(
  db: DynamoDBDocumentClient, tableName: string, phone: string, phoneKeys: { pk: string; sk: string }[], takerId: string, nowSeconds: number,
): Promise<UnprovenHolder | undefined> {
  const get = async (key: Record<string, string>, projection: string) => (await callAws('dynamodb', () =>
    db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true, ProjectionExpression: projection, ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE } })))).Item;
  for (const key of phoneKeys) {
    const reservation = await get(key, 'patient_id, #ttl');
    if (!reservation || hasLapsed(reservation, nowSeconds) || reservation.patient_id === takerId) continue;
    const holder = await get(keys.patient(String(reservation.patient_id)), 'id, email, phone_number, phone_verified, phone_number_released, reservation_pks, #ttl');
    if (!holder || hasLapsed(holder, nowSeconds) || holder.phone_number !== phone) return undefined;
    if (holder.phone_verified === true || holder.phone_number_released === true) return undefined;
    return { id: String(holder.id), email: String(holder.email), ...(holder.reservation_pks && { reservation_pks: holder.reservation_pks }) };
  }
  return undefined;
}
