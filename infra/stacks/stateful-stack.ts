import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
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
import { tableDefinition, TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb/keys.js';
import { acknowledgeRule } from '../compliance.js';
import { AccessTokenKeys } from '../constructs/access-token-keys.js';
import type { StageConfig } from '../config/stages.js';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything that holds data or protects it: the four tables, the audit table and the KMS keys.
 * Kept apart from the stateless stack so API/function changes never put data at risk.
 */
export class StatefulStack extends Stack {
  /** Patients and every item family placement.ts does not move (lib/adapters/dynamodb/placement.ts). */
  readonly table: Table;
  /** Reservations (EMAIL#, PHONE#, PHONECLAIM#), attempt counters (LOGIN#) and session indexes (SESSIONS#). */
  readonly identityTable: Table;
  /** What a link or a sign-in hands out and later spends (VERIFY#, RESET#, EMAILMOVE#, FAMILY#, REFRESH#, MFA#, WEBAUTHN#). */
  readonly tokenTable: Table;
  /** The mails and texts to send (OUTBOX#), with the due index and the KEYS_ONLY stream the outbox mailer reads. */
  readonly outboxTable: Table;
  /** Encrypts the four tables at rest (server-side, used by DynamoDB on the caller's behalf). */
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
  /**
   * The HIPAA audit trail (lib/audit): who signed in, refreshed, signed out, and who read which
   * fields. Its own table, so that no function's grant on the patient table reaches it and the
   * functions' only grant on it is PutItem; kept in every stage for 6 years (item TTL).
   */
  readonly auditTable: Table;
  /** Encrypts the audit table. Its own key: the trail is kept (RETAIN) in every stage, the table key is not. */
  readonly auditKey: Key;
  /**
   * The ES256 access-token keys, one generated pair per version of `accessTokenSigningKeyVersions`
   * (current first), each private key wrapped under `accessTokenKeys.wrappingKey`.
   */
  readonly accessTokenKeys: AccessTokenKeys;

  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    // Losing a key makes every item or backup encrypted under it unreadable, so keys
    // live at least as long as the table.
    const keyRemovalPolicy = config.tableRemovalPolicy;
    const aliasPrefix = `alias/patient-registration/${config.stage}`;

    this.tableKey = new Key(this, 'TableKey', {
      alias: `${aliasPrefix}/table`,
      description: `Patient, identity, token and outbox tables encryption at rest (${config.stage})`,
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

    this.accessTokenKeys = new AccessTokenKeys(this, 'AccessTokenKeys', {
      versions: config.accessTokenSigningKeyVersions,
      stage: config.stage,
      aliasPrefix,
      logs: { encryptionKey: this.observabilityKey, retention: config.logRetention, removalPolicy: config.logRemovalPolicy },
      logLevel: config.logLevel,
    });

    // Four tables, one per group of item families (lib/adapters/dynamodb/placement.ts says which
    // prefix lives where, and why: each table's own 40,000 write units a second). Alike but for the
    // outbox table, which alone carries the due index and the stream.
    this.table = this.placedTable('PatientTable', { output: 'TableName', description: 'Patient table: patients and every item family not moved' });
    this.identityTable = this.placedTable('IdentityTable', { output: 'IdentityTableName', description: 'Identity table: reservations, attempt counters, session indexes' });
    this.tokenTable = this.placedTable('TokenTable', { output: 'TokenTableName', description: 'Token table: links, session families, refresh tokens, challenges' });
    this.outboxTable = this.placedTable('OutboxTable', { output: 'OutboxTableName', description: 'Outbox table: mails and texts to send', holdsOutbox: true });

    // The audit trail outlives every stage's data: retained even in dev, where the patient table is
    // not, so its key is retained with it (a table whose key is gone can never be read again).
    this.auditKey = new Key(this, 'AuditKey', {
      alias: `${aliasPrefix}/audit`,
      description: `Audit trail encryption at rest (${config.stage})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditTable = new Table(this, 'AuditTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.auditKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Each event carries its own expiry, 6 years after it happened (HIPAA's documentation retention).
      timeToLiveAttribute: 'ttl',
      // No stream: nothing consumes events, and a stream would be one more copy of the trail to protect.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeRule(this.auditTable, 'HIPAA.Security-DynamoDBInBackupPlan',
      'Point-in-time recovery is on (continuous backups, restore to any second in the last 35 days, encrypted with the audit key), deletion protection is on and the table is retained in every stage. Long-term snapshot retention belongs to the organisation-wide AWS Backup policy, not to this service stack.');

    new CfnOutput(this, 'AuditTableName', { value: this.auditTable.tableName, description: 'Audit trail table' });
  }

  /**
   * One of the four tables the stores' items are placed in: keys and indexes from the same
   * definition the local runner and the tests create their tables from (lib/adapters/dynamodb/keys.ts),
   * so a deployed table cannot drift from what the code queries; on-demand, under the table key,
   * with point-in-time recovery, item TTL and the stage's deletion protection and removal policy.
   */
  private placedTable(id: string, { output, description, holdsOutbox = false }: { output: string; description: string; holdsOutbox?: boolean }): Table {
    const { config } = this;
    const schema = keySchemaOf(tableDefinition('unused', { holdsOutbox }));
    const table = new Table(this, id, {
      partitionKey: schema.table.partitionKey,
      sortKey: schema.table.sortKey,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Only the outbox table: the outbox mailer (stateless stack) reads new OUTBOX# items from it,
      // keys only, as the shared definition says.
      stream: schema.stream,
      deletionProtection: config.tableDeletionProtection,
      removalPolicy: config.tableRemovalPolicy,
    });
    // Only the outbox table: the sparse `due` index of mails still to send (only outbox items carry due_pk).
    for (const index of schema.globalSecondaryIndexes) table.addGlobalSecondaryIndex(index);
    acknowledgeRule(table, 'HIPAA.Security-DynamoDBInBackupPlan',
      'Point-in-time recovery is on (continuous backups, restore to any second in the last 35 days, encrypted with the table key), which covers the recovery plan for this table. Long-term snapshot retention belongs to the organisation-wide AWS Backup policy, not to this service stack.');
    new CfnOutput(this, output, { value: table.tableName, description });
    return table;
  }

  // Access-token key rotation, in three deploys of `accessTokenSigningKeyVersions` (current first):
  //   1. append the new version: its key pair is generated and every function learns its public key
  //      (published in the JWKS, verify only), so no running instance or third-party verifier can meet a
  //      token it cannot verify in step 2;
  //   2. at least JWKS_MAX_AGE_SECONDS (5 minutes, lib/http/jwks.ts) later, move it first: it signs,
  //      the old key only verifies;
  //   3. at least 15 minutes (the access-token lifetime) after step 2 finished, drop the old version,
  //      deploying the stateless stack first (`cdk deploy PatientRegistration-<stage>-Stateless
  //      --exclusively`, then the rest): it must stop importing the old version's attributes before
  //      CloudFormation lets this stack drop those exports.
  // Tokens carry `kid` = the RFC 7638 JWK thumbprint of the signing public key, so a verifier picks the
  // key by id instead of trying each (infra/constructs/access-token-keys.ts generates the pairs).

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
  const views = { KEYS_ONLY: StreamViewType.KEYS_ONLY } as const;
  return {
    table: keys(definition.KeySchema),
    stream: definition.StreamSpecification && views[definition.StreamSpecification.StreamViewType],
    globalSecondaryIndexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => {
      if (index.Projection.ProjectionType !== 'KEYS_ONLY') throw new Error(`index ${index.IndexName}: only KEYS_ONLY is mapped`);
      return { indexName: index.IndexName, ...keys(index.KeySchema), projectionType: ProjectionType.KEYS_ONLY };
    }),
  };
}
