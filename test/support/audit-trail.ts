import type { AuditEvent } from '../../lib/audit/ports.js';
import { createDynamoAuditTrail } from '../../lib/adapters/dynamodb/audit-trail.js';
import { documentClient } from './local-aws.js';

/** This test file's audit trail for one patient, read back from DynamoDB Local, oldest first. */
export function auditTrailOf(patientId: string): Promise<AuditEvent[]> {
  return createDynamoAuditTrail(documentClient, process.env.AUDIT_TABLE_NAME!).eventsFor(patientId);
}
