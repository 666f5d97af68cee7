import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../lib/adapters/dynamodb/keys.js';
import { acknowledgeRule } from '../compliance.js';
import type { StageConfig } from '../config/stages.js';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything that holds data or protects it: the patient table and the KMS keys.
 * Kept apart from the stateless stack so API/function changes never put data at risk.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  /** Encrypts the table at rest (server-side, used by DynamoDB on the caller's behalf). */
  readonly tableKey: Key;
  /** Envelope key for PHI fields; the application encrypts with data keys from it. */
  readonly patientDataKey: Key;
  /**
   * HMAC key the keyed digests of emails and phone numbers derive from (lib/identifiers): the
   * table's keys hold digests, never the values. It never leaves KMS.
   */
  readonly identifierKey: Key;
  /** Encrypts CloudWatch Logs groups, the alarm topic and the outbox dead-letter queue (operational data, no PHI). */
  readonly observabilityKey: Key;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Losing a key makes every item or backup encrypted under it unreadable, so keys
    // live at least as long as the table.
    const keyRemovalPolicy = config.tableRemovalPolicy;
    const aliasPrefix = `alias/patient-registration/${config.stage}`;

    this.tableKey = new Key(this, 'TableKey', {
      alias: `${aliasPrefix}/table`,
      description: `Patient table encryption at rest (${config.stage})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: keyRemovalPolicy,
    });

    this.patientDataKey = new Key(this, 'PatientDataKey', {
      alias: `${aliasPrefix}/patient-data`,
      description: `Envelope encryption of patient PHI fields (${config.stage})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: keyRemovalPolicy,
    });

    // No automatic rotation for HMAC keys: rotating means a new derived version (IDENTIFIER_KEY_VERSIONS),
    // since every reservation key was computed with it. Losing it would orphan every reservation: retained like the data.
    this.identifierKey = new Key(this, 'IdentifierKey', {
      alias: `${aliasPrefix}/identifiers`,
      description: `Keyed digests of patient emails and phone numbers in table keys (${config.stage})`,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      pendingWindow: Duration.days(30),
      removalPolicy: keyRemovalPolicy,
    });

    this.observabilityKey = new Key(this, 'ObservabilityKey', {
      alias: `${aliasPrefix}/observability`,
      description: `CloudWatch Logs, alarm topic and outbox dead-letter queue encryption (${config.stage})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: config.logRemovalPolicy,
    });
    this.allowLogsAndAlarmsToUseObservabilityKey();

    // Keys and indexes come from the same definition the local runner and the tests create
    // their tables from, so the deployed table cannot drift from what the code queries.
    const schema = keySchemaOf(tableDefinition('unused'));
    this.table = new Table(this, 'PatientTable', {
      partitionKey: schema.table.partitionKey,
      sortKey: schema.table.sortKey,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      // The outbox mailer (stateless stack) reads new OUTBOX# items from this stream. Keys only: the
      // mailer needs just the outbox id, and a full image would carry password hashes, names, dates of
      // birth and unsent links through Lambda event payloads (and any log or DLQ that ever kept one).
      stream: StreamViewType.KEYS_ONLY,
      deletionProtection: config.tableDeletionProtection,
      removalPolicy: config.tableRemovalPolicy,
    });
    // The sparse `due` index of outbox mails still to send (only outbox items carry due_pk).
    for (const index of schema.globalSecondaryIndexes) this.table.addGlobalSecondaryIndex(index);

    acknowledgeRule(this.table, 'HIPAA.Security-DynamoDBInBackupPlan',
      'Point-in-time recovery is on (continuous backups, restore to any second in the last 35 days, encrypted with the table key), which covers the recovery plan for this table. Long-term snapshot retention belongs to the organisation-wide AWS Backup policy, not to this service stack.');

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Patient table' });
  }

  /**
   * Key policy statements for the two AWS services that encrypt with this key on our
   * behalf. Explicit action names instead of the `kms:Encrypt*`-style wildcards from
   * the AWS docs examples.
   */
  private allowLogsAndAlarmsToUseObservabilityKey(): void {
    const logsService = new ServicePrincipal(`logs.${this.region}.amazonaws.com`);
    this.observabilityKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsInThisAccount',
        effect: Effect.ALLOW,
        principals: [logsService],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*`,
          },
        },
      }),
    );
    // CloudWatch alarms publish to the KMS-encrypted alarm topic; SNS asks KMS on
    // CloudWatch's behalf, so CloudWatch needs these two on the topic key.
    this.observabilityKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
  }
}

type TableDefinition = ReturnType<typeof tableDefinition>;
type KeySchema = TableDefinition['KeySchema'];

/** CDK key props from the SDK-shaped table definition in lib/adapters/dynamodb/keys.ts. */
function keySchemaOf(definition: TableDefinition) {
  const attribute = (name: string): Attribute => {
    const type = definition.AttributeDefinitions.find((a) => a.AttributeName === name)?.AttributeType;
    if (type !== 'S') throw new Error(`key attribute ${name} must be a string attribute, got ${type}`);
    return { name, type: AttributeType.STRING };
  };
  const keys = (schema: KeySchema) => {
    const hash = schema.find((k) => k.KeyType === 'HASH');
    const range = schema.find((k) => k.KeyType === 'RANGE');
    if (!hash) throw new Error('key schema without a partition key');
    return { partitionKey: attribute(hash.AttributeName), ...(range && { sortKey: attribute(range.AttributeName) }) };
  };
  return {
    table: keys(definition.KeySchema),
    globalSecondaryIndexes: definition.GlobalSecondaryIndexes.map((index) => {
      if (index.Projection.ProjectionType !== 'KEYS_ONLY') throw new Error(`index ${index.IndexName}: only KEYS_ONLY is mapped`);
      return { indexName: index.IndexName, ...keys(index.KeySchema), projectionType: ProjectionType.KEYS_ONLY };
    }),
  };
}
