import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent, AuditTrail } from '../../audit/ports.js';
import { callAws } from '../aws-errors.js';
import { AUDIT_TTL_ATTRIBUTE, auditKeys } from './audit-table.js';

/** HIPAA keeps audit records 6 years at least (45 CFR 164.316(b)(2)); TTL removes an event 6 calendar years + 30 days after it happened. */
export const AUDIT_RETENTION_YEARS = 6;
/** So that no reading of "6 years" (end of month, a late-starting clock, TTL deleting early) cuts one short. */
export const AUDIT_RETENTION_MARGIN_DAYS = 30;

/** When TTL may remove an event (epoch seconds). */
export function auditExpiry(at: string): number {
  const expiry = new Date(at);
  expiry.setUTCFullYear(expiry.getUTCFullYear() + AUDIT_RETENTION_YEARS);
  expiry.setUTCDate(expiry.getUTCDate() + AUDIT_RETENTION_MARGIN_DAYS);
  return Math.floor(expiry.getTime() / 1000);
}

/**
 * The item for an event: its keys, its TTL and the event's own fields, each copied by name (never a
 * spread), so nothing a caller put on the object beside the port's fields can reach the table.
 */
export function toAuditItem(event: AuditEvent): Record<string, unknown> {
  // Normalised for the key only: a sort key must be fixed-width ISO to sort by time.
  const at = new Date(event.at).toISOString();
  return {
    pk: event.patientId !== undefined ? auditKeys.patient(event.patientId) : auditKeys.unattributed(at.slice(0, 10), event.id),
    sk: auditKeys.event(at, event.id),
    [AUDIT_TTL_ATTRIBUTE]: auditExpiry(at),
    id: event.id,
    at: event.at,
    action: event.action,
    outcome: event.outcome,
    ...(event.patientId !== undefined && { patient_id: event.patientId }),
    ...(event.reason !== undefined && { reason: event.reason }),
    ...(event.fields !== undefined && { fields: [...event.fields] }),
    ...(event.sessionId !== undefined && { session_id: event.sessionId }),
    ...(event.requestId !== undefined && { request_id: event.requestId }),
    ...(event.sourceIpDigest !== undefined && { source_ip_digest: event.sourceIpDigest }),
  };
}

export function fromAuditItem(item: Record<string, any>): AuditEvent {
  return {
    id: item.id,
    at: item.at,
    action: item.action,
    outcome: item.outcome,
    ...(item.patient_id !== undefined && { patientId: item.patient_id }),
    ...(item.reason !== undefined && { reason: item.reason }),
    ...(item.fields !== undefined && { fields: item.fields }),
    ...(item.session_id !== undefined && { sessionId: item.session_id }),
    ...(item.request_id !== undefined && { requestId: item.request_id }),
    ...(item.source_ip_digest !== undefined && { sourceIpDigest: item.source_ip_digest }),
  };
}

/**
 * The events of one UTC day that name no patient, oldest first: one Query per shard, merged. For
 * operators (and the tests); no function is granted these (GET /me/export reads only `PATIENT#` partitions).
 */
export async function readUnattributedDay(db: DynamoDBDocumentClient, tableName: string, day: string): Promise<AuditEvent[]> {
  const shards = await Promise.all(auditKeys.unattributedDay(day).map(async (pk) => {
    const items: Record<string, any>[] = [];
    let start: Record<string, any> | undefined;
    do {
      const page = await callAws('dynamodb', () =>
        db.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: start })));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }));
  return shards.flat().sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0)).map(fromAuditItem);
}

export interface DynamoAuditTrailOptions {
  /** Items per Query page; only tests set it, to make the trail span pages. */
  pageSize?: number;
}

/**
 * The audit trail on its own table (lib/adapters/dynamodb/audit-table.ts). A write is one PutItem
 * conditioned on the key being new: a retried write of the same event is the same item, and its
 * refusal means the first write landed, so it counts as done rather than failing the request.
 */
export function createDynamoAuditTrail(db: DynamoDBDocumentClient, tableName: string, options: DynamoAuditTrailOptions = {}): AuditTrail {
  return {
    async record(event) {
      try {
        await callAws('dynamodb', () =>
          db.send(new PutCommand({ TableName: tableName, Item: toAuditItem(event), ConditionExpression: 'attribute_not_exists(pk)' })));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async eventsFor(patientId) {
      const events: AuditEvent[] = [];
      let start: Record<string, any> | undefined;
      do {
        const page = await callAws('dynamodb', () =>
          db.send(new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': auditKeys.patient(patientId) },
            ScanIndexForward: true,
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(options.pageSize !== undefined && { Limit: options.pageSize }),
          })));
        events.push(...(page.Items ?? []).map(fromAuditItem));
        start = page.LastEvaluatedKey;
      } while (start);
      return events;
    },
  };
}
