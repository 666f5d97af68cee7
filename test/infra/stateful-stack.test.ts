import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUE_INDEX, tableDefinition } from '../../lib/adapters/dynamodb/keys.js';
import { resourcesOfType, removeSynthOutputs, synthStage, type CfnResource, type SynthesizedStage } from './synth.js';
import type { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The synthesized resource behind an L2 construct of the stateful stack. */
const resourceOf = (stage: SynthesizedStage, construct: IConstruct): CfnResource =>
  stage.statefulTemplate.toJSON().Resources[(stage.stateful as Stack).getLogicalId(construct.node.defaultChild as never)];

describe('stateful stack: tables and keys', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let prod: SynthesizedStage;
  beforeAll(() => {
    dev = synthStage('dev');
    prod = synthStage('prod');
  }, 120_000);
  afterAll(removeSynthOutputs);

  it('has five customer-managed encryption keys with rotation on, one HMAC key for identifiers, and no asymmetric key', () => {
    const keys = Object.values(resourcesOfType(dev.statefulTemplate, 'AWS::KMS::Key'));
    const [hmac, encryption] = [keys.filter((k) => k.Properties?.KeySpec === 'HMAC_256'), keys.filter((k) => k.Properties?.KeySpec === undefined)];
    // Table, patient data, observability, audit, and the one that wraps the access-token signing keys.
    expect(encryption).toHaveLength(5);
    // No ECC key: access tokens are signed in memory, so no kms:Sign (and its 300/s quota) per token.
    expect(keys.filter((k) => String(k.Properties?.KeySpec).startsWith('ECC_'))).toHaveLength(0);
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

  /** The four tables the items are placed in (lib/adapters/dynamodb/placement.ts); only the outbox table holds the outbox. */
  const PLACED = [
    { field: 'table', output: 'TableName', holdsOutbox: false },
    { field: 'identityTable', output: 'IdentityTableName', holdsOutbox: false },
    { field: 'tokenTable', output: 'TokenTableName', holdsOutbox: false },
    { field: 'outboxTable', output: 'OutboxTableName', holdsOutbox: true },
  ] as const;
  const placed = (stage: SynthesizedStage) => PLACED.map((t) => ({ ...t, resource: resourceOf(stage, stage.stateful[t.field]) }));

  it('has the four tables the items are placed in, besides the audit table, and no other', () => {
    const ids = Object.keys(resourcesOfType(dev.statefulTemplate, 'AWS::DynamoDB::Table')).sort();
    const expected = [...PLACED.map((t) => t.field), 'auditTable'] as const;
    expect(ids).toEqual(expected.map((field) => dev.stateful.getLogicalId(dev.stateful[field].node.defaultChild as never)).sort());
    expect(ids.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AuditTable', 'IdentityTable', 'OutboxTable', 'PatientTable', 'TokenTable']);
  });

  it('encrypts each of the four tables with the table key, its own customer-managed key, not the patient-data key', () => {
    const tableKeyId = dev.stateful.getLogicalId(dev.stateful.tableKey.node.defaultChild as never);
    const patientKeyId = dev.stateful.getLogicalId(dev.stateful.patientDataKey.node.defaultChild as never);
    expect(tableKeyId).not.toBe(patientKeyId);
    for (const { field, resource } of placed(dev)) {
      expect(resource.Properties?.SSESpecification, field).toEqual({
        SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [tableKeyId, 'Arn'] },
      });
    }
  });

  it.each(['dev', 'prod'] as const)('%s: each of the four tables is on-demand with pk/sk string keys, ttl and point-in-time recovery', (name) => {
    for (const { field, resource } of placed(name === 'dev' ? dev : prod)) {
      expect(resource.Properties, field).toMatchObject({
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
      });
    }
  });

  it('only the outbox table has a stream (KEYS_ONLY: no patient data in stream records) and the due index', () => {
    const streams = placed(dev).map(({ field, resource }) => [field, resource.Properties?.StreamSpecification]);
    expect(streams).toEqual([
      ['table', undefined], ['identityTable', undefined], ['tokenTable', undefined], ['outboxTable', { StreamViewType: 'KEYS_ONLY' }],
    ]);
    const indexes = placed(dev).map(({ field, resource }) =>
      [field, (resource.Properties?.GlobalSecondaryIndexes ?? []).map((i: { IndexName: string }) => i.IndexName)]);
    expect(indexes).toEqual([['table', []], ['identityTable', []], ['tokenTable', []], ['outboxTable', [DUE_INDEX]]]);
  });

  it('each table has exactly the keys and indexes of tableDefinition (lib/adapters/dynamodb/keys.ts), so local and deployed tables cannot drift', () => {
    const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);
    for (const { field, holdsOutbox, resource } of placed(dev)) {
      const local = tableDefinition('x', { holdsOutbox });
      const p = resource.Properties!;
      expect(p.KeySchema, field).toEqual(local.KeySchema);
      expect([...p.AttributeDefinitions].sort(byName), field).toEqual([...local.AttributeDefinitions].sort(byName));
      expect(p.GlobalSecondaryIndexes, field).toEqual(local.GlobalSecondaryIndexes);
      expect(p.StreamSpecification, field).toEqual(local.StreamSpecification && { StreamViewType: local.StreamSpecification.StreamViewType });
      expect(p.LocalSecondaryIndexes, field).toBeUndefined();
      expect(p.BillingMode, field).toBe(local.BillingMode);
    }
  });

  it('the outbox table\'s stream has one consumer, in the stateless stack (the outbox mailer)', () => {
    expect(resourcesOfType(dev.statefulTemplate, 'AWS::Lambda::EventSourceMapping')).toEqual({});
    expect(Object.keys(resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::EventSourceMapping'))).toEqual([
      expect.stringMatching(/^OutboxMailerFunction/),
    ]);
  });

  it('prod: deletion protection on each of the four tables, tables and keys retained, stack termination-protected', () => {
    for (const { field, resource } of placed(prod)) {
      expect(resource.Properties?.DeletionProtectionEnabled, field).toBe(true);
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy], field).toEqual(['Retain', 'Retain']);
    }
    const patientKey = resourceOf(prod, prod.stateful.patientDataKey);
    expect(patientKey.DeletionPolicy).toBe('Retain');
    expect(resourceOf(prod, prod.stateful.tableKey).DeletionPolicy).toBe('Retain');
    expect(prod.stateful.terminationProtection).toBe(true);
  });

  it('dev: no deletion protection and the four tables are deleted with the stack', () => {
    for (const { field, resource } of placed(dev)) {
      expect(resource.Properties?.DeletionProtectionEnabled, field).toBe(false);
      expect(resource.DeletionPolicy, field).toBe('Delete');
    }
    expect(dev.stateful.terminationProtection).toBe(false);
  });

  it('outputs the four table names', () => {
    for (const { field, output } of PLACED) {
      dev.statefulTemplate.hasOutput(output, { Value: { Ref: dev.stateful.getLogicalId(dev.stateful[field].node.defaultChild as never) } });
    }
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

  it.each(['dev', 'prod'] as const)('%s: one generated access-token key pair per version, wrapped under a retained symmetric key', (name) => {
    const stage = name === 'dev' ? dev : prod;
    const { wrappingKey, generator, versions } = stage.stateful.accessTokenKeys;
    const key = resourceOf(stage, wrappingKey);
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 30 });
    expect(key.Properties?.KeySpec).toBeUndefined();
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const keyId = stage.stateful.getLogicalId(wrappingKey.node.defaultChild as never);
    stage.statefulTemplate.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/patient-registration/${name}/access-token-wrapping`, TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });

    expect(versions.map((v) => v.version)).toEqual(['v1']);
    const pairs = Object.values(resourcesOfType(stage.statefulTemplate, 'Custom::AccessTokenSigningKey'));
    const generatorId = stage.stateful.getLogicalId(generator.function.node.defaultChild as never);
    expect(pairs.map((p) => p.Properties)).toEqual([{
      ServiceToken: { 'Fn::GetAtt': [generatorId, 'Arn'] }, Version: 'v1', WrappingKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
    }]);
    // The key policy refuses Decrypt to every principal but the roles of the five functions that sign (login-mfa, passkey-login: issue 21).
    const deny = key.Properties?.KeyPolicy.Statement.filter((st: { Effect: string }) => st.Effect === 'Deny');
    expect(deny).toEqual([{
      Sid: 'OnlyTokenSignersMayDecrypt', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${stage.config.account}:role/patient-registration-${name}-token-signer-*` } },
    }]);
    const roleNames = Object.values(resourcesOfType(stage.statelessTemplate, 'AWS::IAM::Role')).map((r) => r.Properties?.RoleName).filter(Boolean).sort();
    expect(roleNames).toEqual(['login', 'login-mfa', 'passkey-login', 'token-refresh', 'verify-email'].map((fn) => `patient-registration-${name}-token-signer-${fn}`));
    // The generator may only Encrypt on the wrapping key, under the signing-key purpose: never Decrypt.
    const policy = stage.statefulTemplate.toJSON().Resources[stage.stateful.getLogicalId(generator.policy.node.defaultChild as never)];
    const kms = (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).filter((st) => JSON.stringify(st.Action).includes('kms:'));
    expect(kms).toEqual([{
      Sid: 'AccessTokenKeyWrap', Effect: 'Allow', Action: 'kms:Encrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'access-token-signing-key' } },
    }]);
  });

  it('lets only CloudWatch Logs (this account, its log groups) and CloudWatch alarms use the observability key', () => {
    const key = dev.statefulTemplate.toJSON().Resources[
      dev.stateful.getLogicalId(dev.stateful.observabilityKey.node.defaultChild as never)
    ];
    const sids = key.Properties.KeyPolicy.Statement.map((s: { Sid?: string }) => s.Sid).filter(Boolean);
    expect(sids).toEqual(['AllowCloudWatchLogsInThisAccount', 'AllowCloudWatchAlarmsToPublishToEncryptedTopic']);
  });
});
