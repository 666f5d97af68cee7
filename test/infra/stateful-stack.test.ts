import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../lib/adapters/dynamodb/keys.js';
import { onlyResource, resourcesOfType, removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

describe('stateful stack: patient table and keys', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let prod: SynthesizedStage;
  beforeAll(() => {
    dev = synthStage('dev');
    prod = synthStage('prod');
  }, 120_000);
  afterAll(removeSynthOutputs);

  it('has three customer-managed encryption keys with rotation on, and one HMAC key for identifiers', () => {
    const keys = Object.values(resourcesOfType(dev.statefulTemplate, 'AWS::KMS::Key'));
    const [hmac, encryption] = [keys.filter((k) => k.Properties?.KeySpec === 'HMAC_256'), keys.filter((k) => k.Properties?.KeySpec !== 'HMAC_256')];
    expect(encryption).toHaveLength(3);
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
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [tableKeyId, 'Arn'] } },
    });
  });

  it('is on-demand with pk/sk string keys, ttl, point-in-time recovery and a KEYS_ONLY stream (no patient data in stream records)', () => {
    dev.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
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
    const [, table] = onlyResource(dev.statefulTemplate, 'AWS::DynamoDB::Table');
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
    const [, table] = onlyResource(prod.statefulTemplate, 'AWS::DynamoDB::Table');
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const patientKey = prod.statefulTemplate.toJSON().Resources[
      prod.stateful.getLogicalId(prod.stateful.patientDataKey.node.defaultChild as never)
    ];
    expect(patientKey.DeletionPolicy).toBe('Retain');
    expect(prod.stateful.terminationProtection).toBe(true);
  });

  it('dev: no deletion protection and the table is deleted with the stack', () => {
    const [, table] = onlyResource(dev.statefulTemplate, 'AWS::DynamoDB::Table');
    expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
    expect(table.DeletionPolicy).toBe('Delete');
    expect(dev.stateful.terminationProtection).toBe(false);
  });

  it('outputs the table name', () => {
    dev.statefulTemplate.hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^PatientTable') } });
  });

  it('lets only CloudWatch Logs (this account, its log groups) and CloudWatch alarms use the observability key', () => {
    const key = dev.statefulTemplate.toJSON().Resources[
      dev.stateful.getLogicalId(dev.stateful.observabilityKey.node.defaultChild as never)
    ];
    const sids = key.Properties.KeyPolicy.Statement.map((s: { Sid?: string }) => s.Sid).filter(Boolean);
    expect(sids).toEqual(['AllowCloudWatchLogsInThisAccount', 'AllowCloudWatchAlarmsToPublishToEncryptedTopic']);
  });
});
