import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DUE_INDEX } from '../../lib/adapters/dynamodb/keys.js';
import { roleOfKey, type TableRole } from '../../lib/adapters/dynamodb/placement.js';
import { SIGNING_KEY_PURPOSE } from '../../lib/adapters/kms/kms-wrapped-signing-key.js';

/**
 * Builders for the only IAM statements the functions get. Each one names the exact
 * actions the application code calls (see lib/adapters/*) and narrows the resource or
 * adds a condition wherever AWS offers one. No wildcard actions anywhere.
 */

/**
 * Item-level actions the DynamoDB adapters call. TransactWriteItems has no IAM action of its
 * own: each item in it is authorised as the matching single-item action (Put → PutItem,
 * Update → UpdateItem), so those are what the transactions need.
 */
export type PatientTableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  /** On the table only (LeadingKeys holds for it): one patient's passkeys, a partition of their own. */
  | 'dynamodb:Query';

/** Partition-key prefixes of the key design (lib/adapters/dynamodb/keys.ts); placement.ts says which table each lives in. */
export type PatientKeyPrefix = 'PATIENT#' | 'EMAIL#' | 'PHONE#' | 'VERIFY#' | 'OUTBOX#' | 'IDEMPOTENCY#' | 'RATE#'
  | 'REFRESH#' | 'FAMILY#' | 'SESSIONS#' | 'LOGIN#'
  // Issue 11: password-reset tokens and phone verification codes (digests only), each under its own prefix.
  | 'RESET#' | 'PHONECODE#'
  // Issue 20: email-move links; issue 19 item 4: phone claim codes (digests only).
  | 'EMAILMOVE#' | 'PHONECLAIM#'
  // Issue 21: the authenticator app (encrypted secret, last step, recovery-code digests) and a sign-in's second step.
  | 'TOTP#' | 'MFA#'
  // Issue 21: a patient's passkeys, each credential's owner (by id digest), and WebAuthn challenges.
  | 'PASSKEYS#' | 'PASSKEYID#' | 'WEBAUTHN#';

/** Which item types (by partition-key prefix) a function may touch with each action. */
export type TableItemGrants = Readonly<Partial<Record<PatientTableAction, readonly PatientKeyPrefix[]>>>;

/**
 * The four tables the stores' items are placed in (lib/adapters/dynamodb/placement.ts), by the names
 * the stateful stack gives them. All four are encrypted with the one table key.
 */
export interface PatientTables {
  /** Patients and every item family placement.ts does not move. */
  readonly table: ITable;
  readonly identityTable: ITable;
  readonly tokenTable: ITable;
  readonly outboxTable: ITable;
}

/** Each table's field in PatientTables and the Sid prefix of its statements, by placement role (`undefined`: the patient table). */
const TABLE_OF_ROLE: readonly { role: TableRole | undefined; table: keyof PatientTables; sid: string }[] = [
  { role: undefined, table: 'table', sid: 'Table' },
  { role: 'identities', table: 'identityTable', sid: 'IdentityTable' },
  { role: 'tokens', table: 'tokenTable', sid: 'TokenTable' },
  { role: 'outbox', table: 'outboxTable', sid: 'OutboxTable' },
];

/**
 * Table item access, one statement per action and table, each restricted by `dynamodb:LeadingKeys`
 * to the key prefixes that action is used on and that placement.ts puts in that table: a function
 * can only touch the item types its use case owns, only in the way it uses them (e.g. register may
 * delete IDEMPOTENCY# items, nothing else), and only where they live. Sids read `Table<Action>` for
 * the patient table, `IdentityTable<Action>`, `TokenTable<Action>`, `OutboxTable<Action>` for the others.
 */
export function patientTableItems(tables: PatientTables, grants: TableItemGrants): PolicyStatement[] {
  return Object.entries(grants).flatMap(([action, prefixes]) =>
    TABLE_OF_ROLE.flatMap(({ role, table, sid }) => {
      const placed = prefixes!.filter((prefix) => roleOfKey(prefix) === role);
      if (placed.length === 0) return [];
      return [new PolicyStatement({
        sid: `${sid}${action.slice('dynamodb:'.length)}`,
        effect: Effect.ALLOW,
        actions: [action],
        resources: [tables[table].tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': placed.map((prefix) => `${prefix}*`) },
        },
      })];
    }),
  );
}

/**
 * Query on the outbox table's sparse `due` index only (not the table). Scoped by resource, not by
 * `dynamodb:LeadingKeys`: AWS documents that key as the table's partition key and does not say
 * which value an index Query is compared with, and a `ForAllValues` condition on a key the
 * request does not carry is vacuously true, so such a condition would look like a guard without
 * being one. The resource is the real boundary and a tight one: only outbox items carry
 * `due_pk`, so the index holds nothing else, and it projects KEYS_ONLY (pk, sk, due_pk, due_at):
 * a Query on it can return outbox keys and due times, never a recipient, link or patient field.
 */
export function dueIndexQuery(outboxTable: ITable): PolicyStatement {
  return new PolicyStatement({
    sid: 'DueIndexQuery',
    effect: Effect.ALLOW,
    actions: ['dynamodb:Query'],
    resources: [`${outboxTable.tableArn}/index/${DUE_INDEX}`],
  });
}

/**
 * What the Lambda event source mapping needs to read the outbox table's stream, on the stream ARN
 * only (the AWS-documented set for a stream-triggered function). The function role is
 * immutable to CDK (see ServiceFunction), so the mapping's own grant would be dropped: it is
 * stated here instead.
 */
export function tableStreamRead(outboxTable: ITable): PolicyStatement {
  if (!outboxTable.tableStreamArn) throw new Error('the outbox table has no stream to read');
  return new PolicyStatement({
    sid: 'OutboxTableStreamRead',
    effect: Effect.ALLOW,
    actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
    resources: [outboxTable.tableStreamArn],
  });
}

/**
 * DynamoDB uses the table's customer-managed key with the caller's credentials, so any
 * role that reads or writes a table needs kms:Decrypt on that key (unavoidable for a
 * CMK-encrypted table). The patient, identity, token and outbox tables share one key, so one
 * statement covers all four. `kms:ViaService` limits it to requests DynamoDB makes on the
 * role's behalf: the role cannot call KMS directly with this key.
 */
export function tableKeyViaDynamoDb(tableKey: IKey, sid = 'TableKeyViaDynamoDb'): PolicyStatement {
  return new PolicyStatement({
    sid,
    effect: Effect.ALLOW,
    actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
    resources: [tableKey.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(tableKey).region}.amazonaws.com` },
    },
  });
}

/**
 * Appending audit events (lib/audit): PutItem on the audit table and nothing else. No role may read,
 * change or delete an event, so a compromised function can add noise to the trail but not erase it.
 * No LeadingKeys condition: every item in the audit table is an event, so the table is the boundary.
 */
export function auditTableAppendOnly(auditTable: ITable): PolicyStatement {
  return new PolicyStatement({
    sid: 'AuditTablePutItem',
    effect: Effect.ALLOW,
    actions: ['dynamodb:PutItem'],
    resources: [auditTable.tableArn],
  });
}

/**
 * Reading the trail back, for GET /me/export only: one Query of the caller's own partition
 * (`PATIENT#<id>`, lib/adapters/dynamodb/audit-trail.ts eventsFor), the id taken from the verified
 * token. IAM cannot tie the key to the token's subject (it is not an IAM variable), so the code is
 * what keeps the read to the caller's events; no Scan, GetItem or write beyond PutItem is granted.
 */
export function auditTableQuery(auditTable: ITable): PolicyStatement {
  return new PolicyStatement({
    sid: 'AuditTableQuery',
    effect: Effect.ALLOW,
    actions: ['dynamodb:Query'],
    resources: [auditTable.tableArn],
  });
}

/** The audit table's own key, through DynamoDB only (see tableKeyViaDynamoDb). */
export function auditKeyViaDynamoDb(auditKey: IKey): PolicyStatement {
  return tableKeyViaDynamoDb(auditKey, 'AuditKeyViaDynamoDb');
}

/** Must equal PHI_PURPOSE in lib/adapters/crypto/envelope-field-cipher.ts. */
export const PHI_ENCRYPTION_PURPOSE = 'patient-phi';

/**
 * New data keys for PHI envelope encryption, only with the PHI encryption context.
 * Deliberately no kms:Decrypt: the register function can seal patient data but never
 * unwrap it, so a compromised register function leaks nothing already stored.
 */
export function patientDataKeyGenerateOnly(patientDataKey: IKey): PolicyStatement {
  return new PolicyStatement({
    sid: 'PatientDataKeyGenerateDataKeyOnly',
    effect: Effect.ALLOW,
    actions: ['kms:GenerateDataKey'],
    resources: [patientDataKey.keyArn],
    conditions: {
      StringEquals: { 'kms:EncryptionContext:purpose': PHI_ENCRYPTION_PURPOSE },
    },
  });
}

/**
 * Unwrapping a patient's PHI data key (lib/adapters/kms/kms-data-key-source.ts decryptDataKey, called by
 * the envelope cipher with phiContext: purpose + patient_id). Only with the PHI purpose in the
 * encryption context: the role cannot decrypt anything else ever encrypted under this key. Granted to
 * the one function that shows a patient their own record (GET /me).
 */
export function patientDataKeyDecryptPhi(patientDataKey: IKey): PolicyStatement {
  return new PolicyStatement({
    sid: 'PatientDataKeyDecryptPhi',
    effect: Effect.ALLOW,
    actions: ['kms:Decrypt'],
    resources: [patientDataKey.keyArn],
    conditions: {
      StringEquals: { 'kms:EncryptionContext:purpose': PHI_ENCRYPTION_PURPOSE },
    },
  });
}

/** Must equal AUTHENTICATOR_SECRET_PURPOSE in lib/adapters/crypto/envelope-field-cipher.ts. */
export const AUTHENTICATOR_SECRET_ENCRYPTION_PURPOSE = 'authenticator-secret';

/**
 * Authenticator-app secrets (issue 21), under the patient data key with their own purpose: a new data
 * key for a new secret (POST /me/totp) or the unwrap of one to compare a code (confirm, remove, the
 * second step of a sign-in). Neither opens anything encrypted under the PHI purpose.
 */
export function authenticatorSecretKey(patientDataKey: IKey, action: 'kms:GenerateDataKey' | 'kms:Decrypt'): PolicyStatement {
  return new PolicyStatement({
    sid: action === 'kms:Decrypt' ? 'AuthenticatorSecretDecrypt' : 'AuthenticatorSecretGenerateDataKey',
    effect: Effect.ALLOW,
    actions: [action],
    resources: [patientDataKey.keyArn],
    conditions: {
      StringEquals: { 'kms:EncryptionContext:purpose': AUTHENTICATOR_SECRET_ENCRYPTION_PURPOSE },
    },
  });
}

/**
 * Unwrapping the access-token signing key (lib/adapters/kms/kms-wrapped-signing-key.ts): Decrypt on
 * the wrapping key, once per cold start, only under the signing-key purpose. Granted to the functions
 * that issue tokens and to no other role: a verifying function holds public keys only.
 */
export function accessTokenKeyUnwrap(wrappingKey: IKey): PolicyStatement {
  return new PolicyStatement({
    sid: 'AccessTokenKeyUnwrap',
    effect: Effect.ALLOW,
    actions: ['kms:Decrypt'],
    resources: [wrappingKey.keyArn],
    conditions: { StringEquals: { 'kms:EncryptionContext:purpose': SIGNING_KEY_PURPOSE } },
  });
}

/**
 * Deriving the identifier HMAC keys (lib/adapters/kms/kms-identifier-key-ring.ts): GenerateMac
 * with HMAC-SHA-256 on the identifier key, nothing else (no VerifyMac, no other algorithm).
 */
export function identifierKeyGenerateMac(identifierKey: IKey): PolicyStatement {
  return new PolicyStatement({
    sid: 'IdentifierKeyGenerateMac',
    effect: Effect.ALLOW,
    actions: ['kms:GenerateMac'],
    resources: [identifierKey.keyArn],
    conditions: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
  });
}

/** SES v1 SendEmail from one identity and one From address. */
export function sendEmailFrom(identityArn: string, fromAddress: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'SendVerificationEmail',
    effect: Effect.ALLOW,
    actions: ['ses:SendEmail'],
    resources: [identityArn],
    conditions: { StringEquals: { 'ses:FromAddress': fromAddress } },
  });
}

/**
 * Texting through AWS End User Messaging SMS (lib/adapters/sms: SendTextMessage of
 * @aws-sdk/client-pinpoint-sms-voice-v2): the one action, on the stage's one origination identity
 * (phone number, pool or sender ID) and, when the stage sends with one, its configuration set, which
 * IAM authorises as a resource of the same call. No other identity can be sent from, and nothing
 * else in the service (numbers, pools, opt-out lists, registrations) can be read or changed.
 */
export function sendTextMessageFrom(originationIdentityArn: string, configurationSetArn?: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'SendTextMessage',
    effect: Effect.ALLOW,
    actions: ['sms-voice:SendTextMessage'],
    resources: [originationIdentityArn, ...(configurationSetArn ? [configurationSetArn] : [])],
  });
}

/**
 * Lambda sends failed stream batches (on-failure destination) and failed asynchronous
 * invocations (dead-letter queue) with the function's own role: SendMessage on that one queue.
 */
export function sendToDeadLetterQueue(queue: IQueue): PolicyStatement {
  return new PolicyStatement({
    sid: 'SendToDeadLetterQueue',
    effect: Effect.ALLOW,
    actions: ['sqs:SendMessage'],
    resources: [queue.queueArn],
  });
}

/**
 * A producer on a KMS-encrypted queue needs GenerateDataKey and Decrypt (SQS reuses data
 * keys), only through SQS and only for this queue: SQS puts the queue ARN into the encryption
 * context, so the role cannot use the key for anything else encrypted with it.
 */
export function queueKeyViaSqs(queueKey: IKey, queue: IQueue): PolicyStatement {
  return new PolicyStatement({
    sid: 'DeadLetterQueueKeyViaSqs',
    effect: Effect.ALLOW,
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: [queueKey.keyArn],
    conditions: {
      StringEquals: {
        'kms:ViaService': `sqs.${Stack.of(queue).region}.amazonaws.com`,
        'kms:EncryptionContext:aws:sqs:arn': queue.queueArn,
      },
    },
  });
}
