import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditions, label, policyOf as statementsOf, type Statement } from './policies.js';
import { asArray, resourcesOfType, removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

type Summary = Record<string, { actions: string[]; on: string; when?: unknown }>;

const viaDynamoDb = { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } };

/** Every function role starts with these two and nothing else. */
const BASELINE: Summary = {
  WriteOwnLogGroup: { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], on: 'own log group' },
  XRayTracing: { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], on: '*' },
};
const tableKey: Summary = {
  TableKeyViaDynamoDb: { actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], on: 'table key', when: viaDynamoDb },
};
const generateMac: Summary = {
  IdentifierKeyGenerateMac: { actions: ['kms:GenerateMac'], on: 'identifier key', when: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } } },
};
const sendMail = (from: string): Summary => ({
  SendVerificationEmail: { actions: ['ses:SendEmail'], on: 'sender identity', when: { StringEquals: { 'ses:FromAddress': from } } },
});

describe('IAM: each function gets only what its code calls', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  const policyOf = (fn: string): Statement[] => statementsOf(dev, fn);
  /**
   * Table item statements (one dynamodb action on the table, restricted by LeadingKeys). Which
   * actions and prefixes each function gets is not pinned here: test/iam compares them with the
   * calls the integration suite recorded, in both directions. A list written down here once pinned
   * a missing grant (register's GetItem) instead of catching it.
   */
  const isTableItemStatement = (s: Statement, fn: string) =>
    asArray(s.Action).every((a) => a.startsWith('dynamodb:')) && label(s.Resource, fn) === 'table';
  /** The rest of a function's policy, statement by statement: any added action, resource or condition shows. */
  const summaryOf = (fn: string): Summary => {
    const statements = policyOf(fn);
    // IAM requires unique Sids in a policy, and the summary is keyed by them.
    expect(new Set(statements.map((s) => s.Sid)).size).toBe(statements.length);
    return Object.fromEntries(
      statements.filter((s) => !isTableItemStatement(s, fn)).map((s) => {
        expect(s.Effect).toBe('Allow');
        const when = conditions(s.Condition, fn);
        return [s.Sid!, { actions: asArray(s.Action).sort(), on: label(s.Resource, fn), ...(when !== undefined && { when }) }];
      }),
    );
  };
  /** Which stateful-stack output a statement's resource points at (table, table key, patient-data key). */
  const target = (s: Statement): string => JSON.stringify(s.Resource);

  beforeAll(() => {
    dev = synthStage('dev');
  }, 120_000);
  afterAll(removeSynthOutputs);

  it.each(['OutboxMailer', 'Register', 'ResendVerification', 'VerifyEmail', 'VerifyEmailPage'])(
    '%s: every table item statement is one action on the table, limited to whole key prefixes by dynamodb:LeadingKeys',
    (fn) => {
      for (const s of policyOf(fn).filter((st) => isTableItemStatement(st, fn))) {
        const [action, ...more] = asArray(s.Action);
        expect(more).toEqual([]);
        expect(s.Sid).toBe(`Table${action!.slice('dynamodb:'.length)}`);
        expect(Object.keys(s.Condition ?? {})).toEqual(['ForAllValues:StringLike']);
        expect(Object.keys(s.Condition!['ForAllValues:StringLike']!)).toEqual(['dynamodb:LeadingKeys']);
        const patterns = asArray(s.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys'] as string[]);
        expect(patterns.length).toBeGreaterThan(0);
        for (const p of patterns) expect(p).toMatch(/^[A-Z]+#\*$/);
      }
    },
  );

  it('register: besides its table items, PHI data keys (generate only) and SES', () => {
    expect(summaryOf('Register')).toEqual({
      ...BASELINE,
      ...tableKey,
      PatientDataKeyGenerateDataKeyOnly: {
        actions: ['kms:GenerateDataKey'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      ...generateMac,
      ...sendMail(dev.config.mailFrom),
    });
  });

  it('verify-email: besides its table items, no key and no SES', () => {
    expect(summaryOf('VerifyEmail')).toEqual({
      ...BASELINE,
      ...tableKey,
    });
  });

  it('verify-email-page: no AWS permissions beyond its own logs and traces', () => {
    expect(summaryOf('VerifyEmailPage')).toEqual(BASELINE);
  });

  it('resend-verification: besides its table items, identifier MACs only: no SES, no patient data', () => {
    expect(summaryOf('ResendVerification')).toEqual({
      ...BASELINE,
      ...tableKey,
      ...generateMac,
    });
  });

  it('outbox-mailer: besides its table items, Query on the due index only, the stream, its dead-letter queue, SES', () => {
    expect(summaryOf('OutboxMailer')).toEqual({
      ...BASELINE,
      DueIndexQuery: { actions: ['dynamodb:Query'], on: 'due index' },
      TableStreamRead: {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        on: 'table stream',
      },
      ...tableKey,
      SendToDeadLetterQueue: { actions: ['sqs:SendMessage'], on: 'dead-letter queue' },
      DeadLetterQueueKeyViaSqs: {
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        on: 'observability key',
        when: {
          StringEquals: {
            'kms:ViaService': 'sqs.us-east-1.amazonaws.com',
            'kms:EncryptionContext:aws:sqs:arn': 'dead-letter queue',
          },
        },
      },
      ...sendMail(dev.config.mailFrom),
      ...generateMac,
    });
  });

  it('has a policy for every function, and no function outside this list', () => {
    const policies = Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy')).map((p) =>
      String(p.Metadata?.['aws:cdk:path']).split('/')[1],
    );
    expect(policies.sort()).toEqual(['OutboxMailer', 'Register', 'ResendVerification', 'VerifyEmail', 'VerifyEmailPage']);
  });

  it('uses no wildcard action in any IAM policy of either stack', () => {
    for (const template of [dev.statelessTemplate, dev.statefulTemplate]) {
      const docs = [
        ...Object.values(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')),
        ...Object.values(resourcesOfType(template, 'AWS::IAM::Policy')),
      ].map((p) => p.Properties?.PolicyDocument);
      for (const doc of docs) {
        for (const s of doc.Statement as Statement[]) for (const a of asArray(s.Action)) expect(a).not.toContain('*');
      }
    }
  });

  it('uses Resource "*" only for X-Ray, which has no resource-level permissions', () => {
    for (const p of Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy'))) {
      for (const s of p.Properties?.PolicyDocument.Statement as Statement[]) {
        if (asArray(s.Resource as string).includes('*')) {
          expect(s.Sid).toBe('XRayTracing');
          expect(asArray(s.Action).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    }
  });

  it('key policies use kms:* only for the account root (which is what lets IAM policies grant key use)', () => {
    for (const key of Object.values(resourcesOfType(dev.statefulTemplate, 'AWS::KMS::Key'))) {
      for (const s of key.Properties?.KeyPolicy.Statement as Statement[]) {
        if (asArray(s.Action).some((a) => a.includes('*'))) {
          expect(s.Action).toBe('kms:*');
          expect(JSON.stringify(s.Principal)).toContain(':root');
        }
      }
    }
  });

  it('no role can decrypt with the patient-data key', () => {
    for (const p of Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy'))) {
      for (const s of p.Properties?.PolicyDocument.Statement as Statement[]) {
        if (/PatientDataKey/.test(target(s))) expect(asArray(s.Action)).toEqual(['kms:GenerateDataKey']);
      }
    }
  });

  it('function roles carry no inline or AWS-managed policies', () => {
    expect(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::Policy')).toEqual({});
    const roles = Object.entries(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::Role'));
    for (const [id, role] of roles) {
      if (id.includes('CloudWatchRole')) continue; // API Gateway's account-level logging role
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties?.Policies).toBeUndefined();
    }
  });
});
