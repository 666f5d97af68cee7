import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/**
 * Builders for the only IAM statements the functions get. Each one names the exact
 * actions the application code calls (see lib/adapters/*) and narrows the resource or
 * adds a condition wherever AWS offers one. No wildcard actions anywhere.
 */

/** Item-level actions used by the repository (TransactWriteItems is authorised per item as PutItem/UpdateItem). */
export type PatientTableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:ConditionCheckItem';

/** Partition-key prefixes of the single-table design (lib/adapters/dynamodb/keys.ts). */
export type PatientKeyPrefix = 'PATIENT#' | 'EMAIL#' | 'PHONE#' | 'VERIFY#';

/**
 * Table item access restricted by `dynamodb:LeadingKeys` to the given key prefixes, so a
 * function can only touch the item types its use case owns.
 */
export function patientTableItems(
  table: ITable,
  actions: readonly PatientTableAction[],
  keyPrefixes: readonly PatientKeyPrefix[],
): PolicyStatement {
  return new PolicyStatement({
    sid: 'PatientTableItems',
    effect: Effect.ALLOW,
    actions: [...actions],
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keyPrefixes.map((prefix) => `${prefix}*`) },
    },
  });
}

/**
 * DynamoDB uses the table's customer-managed key with the caller's credentials, so any
 * role that reads or writes the table needs kms:Decrypt on that key (unavoidable for a
 * CMK-encrypted table). `kms:ViaService` limits it to requests DynamoDB makes on the
 * role's behalf: the role cannot call KMS directly with this key.
 */
export function tableKeyViaDynamoDb(tableKey: IKey): PolicyStatement {
  return new PolicyStatement({
    sid: 'TableKeyViaDynamoDb',
    effect: Effect.ALLOW,
    actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
    resources: [tableKey.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(tableKey).region}.amazonaws.com` },
    },
  });
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
