/**
 * The audit trail's own table, apart from the patient table: events must outlive the patient they
 * name (6 years), so they share neither its TTL/lapse nor its grants (the functions may only PutItem
 * here; reading the trail is for operators).
 */
import { TTL_ATTRIBUTE } from './keys.js';

export const auditKeys = {
  /** Every event naming a patient, oldest first under one partition: `eventsFor` is one Query. */
  patient: (patientId: string) => `PATIENT#${patientId}`,
  /**
   * Events naming no patient (unknown email, unknown refresh token) by UTC day: a flood of them
   * (an unknown-email attack) spreads over one partition per day instead of one forever.
   */
  unattributed: (day: string) => `UNATTRIBUTED#${day}`,
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
