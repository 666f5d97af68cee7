/**
 * The audit trail's own table, apart from the patient table: events must outlive the patient they
 * name (6 years), so they share neither its TTL/lapse nor its grants (the functions may only PutItem
 * here; reading the trail is for operators, and GET /me/export's Query of the caller's own partition).
 */
import { createHash } from 'node:crypto';
import { TTL_ATTRIBUTE } from './keys.js';

/**
 * Partitions per UTC day for events naming no patient. A credential-stuffing run writes one such
 * event per unknown email: on one partition a day it would meet DynamoDB's per-partition write limit
 * (1,000 writes a second) and turn its 401s into 503s. 32 shards take 32 times that.
 */
export const UNATTRIBUTED_SHARDS = 32;

/**
 * An event's shard, from a digest of its id: a retried write of one event lands on the same item (the
 * conditional put stays idempotent), and ids that are not uniformly random still spread.
 */
function shardOf(eventId: string): string {
  const shard = createHash('sha256').update(eventId, 'utf8').digest().readUInt32BE(0) % UNATTRIBUTED_SHARDS;
  return String(shard).padStart(2, '0');
}

export const auditKeys = {
  /** Every event naming a patient, oldest first under one partition: `eventsFor` is one Query. */
  patient: (patientId: string) => `PATIENT#${patientId}`,
  /**
   * Events naming no patient (unknown email, unknown refresh token) by UTC day and shard: a flood of
   * them (an unknown-email attack) spreads over UNATTRIBUTED_SHARDS partitions a day.
   */
  unattributed: (day: string, eventId: string) => `UNATTRIBUTED#${day}#${shardOf(eventId)}`,
  /** Every partition of a day's unattributed events: query each, merge by sort key (readUnattributedDay). */
  unattributedDay: (day: string) =>
    Array.from({ length: UNATTRIBUTED_SHARDS }, (_, shard) => `UNATTRIBUTED#${day}#${String(shard).padStart(2, '0')}`),
  /** Time first so a partition sorts chronologically; the id keeps events of the same millisecond apart. */
  event: (at: string, id: string) => `${at}#${id}`,
};

export { TTL_ATTRIBUTE as AUDIT_TTL_ATTRIBUTE };

/** Table definition shared by the local runner, the tests and (by convention) the CDK stack; TTL on `ttl`. */
export const auditTableDefinition = (tableName: string) => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
});
