import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PLACEHOLDER_ACCOUNT,
  PLACEHOLDER_REGION,
  resolveStageConfig,
  STAGE_NAMES,
  type StageName,
} from '../../infra/config/stages.js';
import { createServiceApp } from '../../infra/service-app.js';
import { logicalIdAt, onlyResource, resourcesOfType, removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe('stage selection', () => {
  it('fails synth with a clear message on an unknown stage', () => {
    expect(() => resolveStageConfig(context({ stage: 'qa' }), {})).toThrow(
      'Unknown stage "qa": pass -c stage=<dev|staging|prod>',
    );
    expect(() => createServiceApp({ env: {}, appProps: { context: { stage: 'production' } } })).toThrow(/Unknown stage "production"/);
  });

  it('defaults to dev so a bare `cdk synth` works', () => {
    expect(resolveStageConfig(context({}), {}).stage).toBe('dev');
  });

  it('takes account/region from context, then CDK_DEFAULT_*, then an offline placeholder', () => {
    const env = { CDK_DEFAULT_ACCOUNT: '111111111111', CDK_DEFAULT_REGION: 'eu-west-1' };
    expect(resolveStageConfig(context({}), {})).toMatchObject({ account: PLACEHOLDER_ACCOUNT, region: PLACEHOLDER_REGION });
    expect(resolveStageConfig(context({}), env)).toMatchObject({ account: '111111111111', region: 'eu-west-1' });
    expect(resolveStageConfig(context({ account: '222222222222', region: 'eu-central-1' }), env)).toMatchObject({
      account: '222222222222',
      region: 'eu-central-1',
    });
  });

  it('lets a deploy override the sender and the verification link base, but only with https', () => {
    const config = resolveStageConfig(
      context({ stage: 'prod', mailFrom: 'no-reply@clinic.example', verifyUrlBase: 'https://clinic.example/verify' }),
      {},
    );
    expect(config).toMatchObject({ mailFrom: 'no-reply@clinic.example', verifyUrlBase: 'https://clinic.example/verify' });
    expect(() => resolveStageConfig(context({ verifyUrlBase: 'http://clinic.example/verify' }), {})).toThrow(/https/);
  });

  it('names the service per stage (SERVICE_NAME on pages and mails), overridable per deploy, and checks the name as the functions do', () => {
    expect(STAGE_NAMES.map((stage) => resolveStageConfig(context({ stage }), {}).serviceName)).toEqual([
      'Patient Registration (dev)', 'Patient Registration (staging)', 'Patient Registration',
    ]);
    expect(resolveStageConfig(context({ stage: 'prod', serviceName: 'Riverside Clinic' }), {}).serviceName).toBe('Riverside Clinic');
    expect(() => resolveStageConfig(context({ serviceName: 'Clinic\nBcc: x@y.z' }), {})).toThrow(/SERVICE_NAME must be 1 to 64 characters/);
  });

  it('spreads the outbox due index over 32 shards in every stage, overridable per deploy, checked as the functions do (issue 23)', () => {
    expect(STAGE_NAMES.map((stage) => resolveStageConfig(context({ stage }), {}).outboxShards)).toEqual([32, 32, 32]);
    expect(resolveStageConfig(context({ stage: 'prod', outboxShards: '64' }), {}).outboxShards).toBe(64);
    expect(() => resolveStageConfig(context({ outboxShards: '0' }), {})).toThrow(/OUTBOX_SHARDS must be a whole number from 1 to 256/);
  });

  it('lets a deploy override the token issuer, but only with https', () => {
    expect(resolveStageConfig(context({ stage: 'prod', tokenIssuer: 'https://clinic.example/' }), {}).tokenIssuer).toBe('https://clinic.example/');
    expect(() => resolveStageConfig(context({ tokenIssuer: 'http://clinic.example/' }), {})).toThrow(/tokenIssuer must be an https/);
  });

  it('lets a deploy override the reset link base, but only with https', () => {
    expect(resolveStageConfig(context({ resetUrlBase: 'https://clinic.example/reset' }), {}).resetUrlBase).toBe('https://clinic.example/reset');
    expect(resolveStageConfig(context({}), {}).resetUrlBase).toBeUndefined();
    expect(() => resolveStageConfig(context({ resetUrlBase: 'http://clinic.example/reset' }), {})).toThrow(/resetUrlBase must be an https/);
  });

  it("texts from an origination identity in the stage's own account and region unless a deploy names another", () => {
    const env = { CDK_DEFAULT_ACCOUNT: '111111111111', CDK_DEFAULT_REGION: 'eu-west-1' };
    expect(resolveStageConfig(context({ stage: 'prod' }), env).sms).toEqual({
      originationIdentity: 'arn:aws:sms-voice:eu-west-1:111111111111:pool/pool-patient-registration-prod',
      configurationSet: undefined,
      sandbox: false,
      budgets: { daily: 2000, countryDaily: 50, countries: { US: 2000 }, shards: 16 },
    });
    const phone = 'arn:aws:sms-voice:eu-west-1:222222222222:phone-number/phone-0123456789abcdef0123456789abcdef';
    expect(resolveStageConfig(context({ smsOriginationIdentity: phone, smsConfigurationSet: 'codes_1' }), env).sms).toMatchObject({
      originationIdentity: phone,
      configurationSet: 'codes_1',
    });
  });

  it.each([
    ['an SNS topic', 'arn:aws:sns:us-east-1:123456789012:codes', /must be the ARN of an sms-voice phone-number, pool or sender-id/],
    ['a bare pool id', 'pool-0123', /must be the ARN/],
    ['an opt-out list', 'arn:aws:sms-voice:us-east-1:123456789012:opt-out-list/Default', /must be the ARN/],
    ['another region', 'arn:aws:sms-voice:eu-west-1:123456789012:pool/pool-0123', /in the stage's region us-east-1 \(SendTextMessage is regional\), got eu-west-1/],
  ])('refuses %s as the origination identity', (_what, arn, message) => {
    expect(() => resolveStageConfig(context({ smsOriginationIdentity: arn }), {})).toThrow(message);
  });

  it('refuses a configuration set that is not a name, and a sandbox flag that is not a boolean', () => {
    expect(() => resolveStageConfig(context({ smsConfigurationSet: 'arn:aws:sms-voice:us-east-1:1:configuration-set/x' }), {})).toThrow(/configuration set name/);
    expect(() => resolveStageConfig(context({ smsSandbox: 'no' }), {})).toThrow(/smsSandbox must be true or false/);
    expect(resolveStageConfig(context({ stage: 'prod', smsSandbox: 'true' }), {}).sms.sandbox).toBe(true);
    expect(resolveStageConfig(context({ smsSandbox: false }), {}).sms.sandbox).toBe(false);
  });

  it('is a plain App away from cdk.json: stage comes only from context', () => {
    expect(new App().node.tryGetContext('stage')).toBeUndefined();
  });
});

describe('per-stage differences in the synthesized templates', { timeout: 120_000 }, () => {
  const stages = {} as Record<StageName, SynthesizedStage>;
  beforeAll(() => {
    for (const stage of STAGE_NAMES) stages[stage] = synthStage(stage);
  }, 120_000);
  afterAll(removeSynthOutputs);

  type TableField = 'table' | 'identityTable' | 'tokenTable' | 'outboxTable' | 'auditTable';
  const tableOf = (s: StageName, table: TableField) =>
    stages[s].statefulTemplate.toJSON().Resources[stages[s].stateful.getLogicalId(stages[s].stateful[table].node.defaultChild as never)];
  /** The four tables the items are placed in (lib/adapters/dynamodb/placement.ts): protected alike. */
  const PLACED_TABLES = ['table', 'identityTable', 'tokenTable', 'outboxTable'] as const;
  const apiStage = (s: StageName) => onlyResource(stages[s].statelessTemplate, 'AWS::ApiGateway::Stage')[1].Properties!;
  const retentions = (s: StageName) =>
    new Set(Object.values(resourcesOfType(stages[s].statelessTemplate, 'AWS::Logs::LogGroup')).map((g) => g.Properties?.RetentionInDays));

  it.each(PLACED_TABLES)('protects data only where it matters: %s deletion protection and retention', (field) => {
    expect(STAGE_NAMES.map((s) => tableOf(s, field).Properties?.DeletionProtectionEnabled)).toEqual([false, false, true]);
    expect(STAGE_NAMES.map((s) => tableOf(s, field).DeletionPolicy)).toEqual(['Delete', 'Retain', 'Retain']);
  });

  it.each(PLACED_TABLES)('in every stage, %s is encrypted with the table key, with point-in-time recovery and item TTL', (field) => {
    for (const s of STAGE_NAMES) {
      const tableKeyId = stages[s].stateful.getLogicalId(stages[s].stateful.tableKey.node.defaultChild as never);
      expect(tableOf(s, field).Properties, s).toMatchObject({
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [tableKeyId, 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      });
    }
  });

  it('keeps the audit trail in every stage, even where the patient table goes with the stack', () => {
    expect(STAGE_NAMES.map((s) => tableOf(s, 'auditTable').DeletionPolicy)).toEqual(['Retain', 'Retain', 'Retain']);
    expect(STAGE_NAMES.map((s) => tableOf(s, 'auditTable').Properties?.DeletionProtectionEnabled)).toEqual([true, true, true]);
  });

  it('limits sign-in attempts per IP tighter than all requests, in every stage', () => {
    for (const s of STAGE_NAMES) {
      const { wafRateLimitPerIp: general, wafSignInRateLimitPerIp: signIn } = stages[s].config;
      expect(signIn.window.toSeconds(), s).toBe(general.window.toSeconds());
      expect(signIn.limit, s).toBeLessThan(general.limit);
      // WAF's floor for a rate-based rule.
      expect(signIn.limit, s).toBeGreaterThanOrEqual(10);
    }
  });

  it('gives each stage its own token issuer and audience, so a token of one stage is refused by the others', () => {
    const issuers = STAGE_NAMES.map((s) => stages[s].config.tokenIssuer);
    const audiences = STAGE_NAMES.map((s) => stages[s].config.tokenAudience);
    expect(new Set(issuers).size).toBe(3);
    expect(new Set(audiences).size).toBe(3);
    for (const issuer of issuers) expect(issuer).toMatch(/^https:\/\/[^/]+\/$/);
  });

  it('texts from its own origination identity per stage; only prod has left the SMS sandbox (the sandbox texts verified numbers only)', () => {
    expect(STAGE_NAMES.map((s) => stages[s].config.sms.sandbox)).toEqual([true, true, false]);
    expect(new Set(STAGE_NAMES.map((s) => stages[s].config.sms.originationIdentity)).size).toBe(3);
    for (const s of STAGE_NAMES) {
      const { config, statelessTemplate } = stages[s];
      const mailer = statelessTemplate.toJSON().Resources[logicalIdAt(statelessTemplate, 'AWS::Lambda::Function', 'OutboxMailer/Function')];
      expect(mailer.Properties.Environment.Variables.SMS_ORIGINATION_IDENTITY, s).toBe(config.sms.originationIdentity);
      expect(mailer.Properties.Environment.Variables.SMS_CONFIGURATION_SET, s).toBeUndefined();
      statelessTemplate.hasOutput('SmsSandbox', { Value: String(config.sms.sandbox) });
    }
  });

  it('keeps logs longer the closer to production', () => {
    expect(STAGE_NAMES.map((s) => [...retentions(s)])).toEqual([[7], [30], [365]]);
  });

  it('raises API throttling limits per stage', () => {
    expect(STAGE_NAMES.map((s) => apiStage(s).MethodSettings[0].ThrottlingRateLimit)).toEqual([10, 25, 100]);
    expect(STAGE_NAMES.map((s) => apiStage(s).StageName)).toEqual(['dev', 'staging', 'prod']);
  });

  it('uses the per-stage sender and reserved concurrency', () => {
    for (const s of STAGE_NAMES) {
      const { config, statelessTemplate } = stages[s];
      statelessTemplate.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: config.mailFrom });
      statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 1024,
        ReservedConcurrentExecutions: config.reservedConcurrency.register,
      });
    }
    expect(new Set(STAGE_NAMES.map((s) => stages[s].config.mailFrom)).size).toBe(3);
    for (const s of STAGE_NAMES) {
      const { config, statelessTemplate } = stages[s];
      const login = statelessTemplate.toJSON().Resources[logicalIdAt(statelessTemplate, 'AWS::Lambda::Function', 'Login/Function')];
      expect(login.Properties).toMatchObject({ MemorySize: 1024, ReservedConcurrentExecutions: config.reservedConcurrency.login });
    }
  });

  it('names stacks and resources per stage so all three can share one account', () => {
    expect(STAGE_NAMES.map((s) => stages[s].stateless.stackName)).toEqual([
      'PatientRegistration-dev-Stateless',
      'PatientRegistration-staging-Stateless',
      'PatientRegistration-prod-Stateless',
    ]);
    const aliases = STAGE_NAMES.flatMap((s) =>
      Object.values(resourcesOfType(stages[s].statefulTemplate, 'AWS::KMS::Alias')).map((a) => a.Properties?.AliasName),
    );
    expect(new Set(aliases).size).toBe(aliases.length);
  });
});
