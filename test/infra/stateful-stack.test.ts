import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../lib/adapters/dynamodb/keys.js';
import { resourcesOfType, removeSynthOutputs, synthStage, type CfnResource, type SynthesizedStage } from './synth.js';
import type { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The synthesized resource behind an L2 construct of the stateful stack. */
const resourceOf = (stage: SynthesizedStage, construct: IConstruct): CfnResource =>
  stage.statefulTemplate.toJSON().Resources[(stage.stateful as Stack).getLogicalId(construct.node.defaultChild as never)];

describe('stateful stack: patient table and keys', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let prod: SynthesizedStage;
  beforeAll(() => {
    dev = synthStage('dev');
    prod = synthStage('prod');
  }, 120_000);
  afterAll(removeSynthOutputs);

  it('has four customer-managed encryption keys with rotation on, one HMAC key for identifiers and one signing key', () => {
    const keys = Object.values(resourcesOfType(dev.statefulTemplate, 'AWS::KMS::Key'));
    const [hmac, encryption] = [keys.filter((k) => k.Properties?.KeySpec === 'HMAC_256'), keys.filter((k) => k.Properties?.KeySpec === undefined)];
    // Table, patient data, observability, audit.
    expect(encryption).toHaveLength(4);
    expect(keys.filter((k) => k.Properties?.KeySpec === 'ECC_NIST_P256')).toHaveLength(1);
    expect(keys).toHaveLength(6);
    for (const key of encryption) expect(key.Properties?.EnableKeyRotation).toBe(true);
    // KMS rotates no HMAC key; a new derived version (IDENTIFIER_KEY_VERSIONS) is the rotation.
    expect(hmac).toHaveLength(1);
    expect(hmac[0]!.Properties).toMatchObject({ KeyUsage: 'GENERATE_VERIFY_MAC' });
    expect(hmac[0]!.Properties?.EnableKeyRotation).not.toBe(true);
  });

  it('retains the identifier key like the data in prod: losing it orphans every reservation', () => {
    const prod = synthStage('prod');
    const [hmac] = Object.values(resourcesOfType(prod.statefulTemplate, 'AWS::KMS::Key')).filter((k) => k.Properties?.KeySpec === 'HMAC_256');
    expect(hmac?.DeletionPolicy).toBe('Retain');
  });

  it('encrypts the table with its own customer-managed key, not the patient-data key', () => {
    const t = dev.statefulTemplate;
    const tableKeyId = dev.stateful.getLogicalId(dev.stateful.tableKey.node.defaultChild as never);
    const patientKeyId = dev.stateful.getLogicalId(dev.stateful.patientDataKey.node.defaultChild as never);
    expect(tableKeyId).not.toBe(patientKeyId);
    expect(resourceOf(dev, dev.stateful.table).Properties?.SSESpecification).toEqual({
      SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [tableKeyId, 'Arn'] },
    });
    expect(t).toBeDefined();
  });

  it('is on-demand with pk/sk string keys, ttl, point-in-time recovery and a KEYS_ONLY stream (no patient data in stream records)', () => {
    expect(resourceOf(dev, dev.stateful.table).Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
    });
  });

  it('has exactly the keys and indexes of tableDefinition (lib/adapters/dynamodb/keys.ts), so local and deployed tables cannot drift', () => {
    const local = tableDefinition('x');
    const [, table] = ['PatientTable', resourceOf(dev, dev.stateful.table)];
    const p = table.Properties!;
    const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);
    expect(p.KeySchema).toEqual(local.KeySchema);
    expect([...p.AttributeDefinitions].sort(byName)).toEqual([...local.AttributeDefinitions].sort(byName));
    expect(p.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(p.LocalSecondaryIndexes).toBeUndefined();
    expect(p.BillingMode).toBe(local.BillingMode);
  });

  it('the stream has one consumer, in the stateless stack (the outbox mailer)', () => {
    expect(resourcesOfType(dev.statefulTemplate, 'AWS::Lambda::EventSourceMapping')).toEqual({});
    expect(Object.keys(resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::EventSourceMapping'))).toEqual([
      expect.stringMatching(/^OutboxMailerFunction/),
    ]);
  });

  it('prod: deletion protection on, table and keys retained, stack termination-protected', () => {
    const [, table] = ['PatientTable', resourceOf(prod, prod.stateful.table)];
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const patientKey = resourceOf(prod, prod.stateful.patientDataKey);
    expect(patientKey.DeletionPolicy).toBe('Retain');
    expect(prod.stateful.terminationProtection).toBe(true);
  });

  it('dev: no deletion protection and the table is deleted with the stack', () => {
    const [, table] = ['PatientTable', resourceOf(dev, dev.stateful.table)];
    expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
    expect(table.DeletionPolicy).toBe('Delete');
    expect(dev.stateful.terminationProtection).toBe(false);
  });

  it('outputs the table name', () => {
    dev.statefulTemplate.hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^PatientTable') } });
  });

  it.each(['dev', 'prod'] as const)('%s: a dedicated audit table: pk/sk, ttl, on-demand, its own retained key, PITR, deletion protection, retained, no stream', (name) => {
    const stage = name === 'dev' ? dev : prod;
    const audit = resourceOf(stage, stage.stateful.auditTable);
    const auditKeyId = stage.stateful.getLogicalId(stage.stateful.auditKey.node.defaultChild as never);
    const { Tags: _tags, ...properties } = audit.Properties!;
    // Exactly these properties: no StreamSpecification (nothing reads the trail), no index.
    expect(properties).toEqual({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [auditKeyId, 'Arn'] } },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
    });
    expect([audit.DeletionPolicy, audit.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const key = resourceOf(stage, stage.stateful.auditKey);
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    // Not the patient table's key, which dev deletes with its table.
    expect(auditKeyId).not.toBe(stage.stateful.getLogicalId(stage.stateful.tableKey.node.defaultChild as never));
    stage.statefulTemplate.hasOutput('AuditTableName', { Value: { Ref: stage.stateful.getLogicalId(stage.stateful.auditTable.node.defaultChild as never) } });
  });

  it.each(['dev', 'prod'] as const)('%s: an ECC_NIST_P256 SIGN_VERIFY access-token key, retained, behind the stage alias', (name) => {
    const stage = name === 'dev' ? dev : prod;
    const key = resourceOf(stage, stage.stateful.accessTokenSigningKey);
    expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 7 });
    // KMS cannot rotate asymmetric keys (rotation is a new key version, see StatefulStack).
    expect(key.Properties?.EnableKeyRotation).toBeUndefined();
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(stage.stateful.retiredAccessTokenSigningKeys).toEqual([]);
    const keyId = stage.stateful.getLogicalId(stage.stateful.accessTokenSigningKey.node.defaultChild as never);
    stage.statefulTemplate.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: `alias/patient-registration/${name}/access-token`,
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  it('lets only CloudWatch Logs (this account, its log groups) and CloudWatch alarms use the observability key', () => {
    const key = dev.statefulTemplate.toJSON().Resources[
      dev.stateful.getLogicalId(dev.stateful.observabilityKey.node.defaultChild as never)
    ];
    const sids = key.Properties.KeyPolicy.Statement.map((s: { Sid?: string }) => s.Sid).filter(Boolean);
    expect(sids).toEqual(['AllowCloudWatchLogsInThisAccount', 'AllowCloudWatchAlarmsToPublishToEncryptedTopic']);
  });
});
