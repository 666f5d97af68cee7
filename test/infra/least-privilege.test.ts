import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asArray, logicalIdAt, resourcesOfType, removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

/** What a statement's resource points at, by name (cross-stack values are Fn::GetStackOutput of named outputs). */
function label(value: unknown, fn: string): string {
  if (value === '*') return '*';
  const json = JSON.stringify(value);
  const labels: [RegExp, string][] = [
    [/PatientTable\w*Arn\w*"\s*}\s*},\s*"\/index\/due"/, 'due index'],
    [/PatientTable\w*StreamArn/, 'table stream'],
    [/PatientTable\w*Arn/, 'table'],
    [/TableKey\w*Arn/, 'table key'],
    [/PatientDataKey\w*Arn/, 'patient-data key'],
    [/ObservabilityKey\w*Arn/, 'observability key'],
    [new RegExp(`"${fn}LogGroup\\w*"`), 'own log group'],
    [/OutboxMailerDeadLetterQueue\w*"\s*,\s*"Arn"/, 'dead-letter queue'],
    [/:identity\/"\s*,\s*{\s*"Ref":\s*"SenderIdentity/, 'sender identity'],
  ];
  for (const [pattern, name] of labels) if (pattern.test(json)) return name;
  throw new Error(`unlabelled resource ${json}`);
}

/** Conditions with intrinsic values (queue ARN) replaced by their label. */
function conditions(condition: Statement['Condition'], fn: string): unknown {
  if (!condition) return undefined;
  return JSON.parse(JSON.stringify(condition), (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k === 'Ref' || k.startsWith('Fn::'))
      ? label(value, fn)
      : value,
  );
}

type Summary = Record<string, { actions: string[]; on: string; when?: unknown }>;

const leadingKeys = (...prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) } });
const viaDynamoDb = { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } };

/** Every function role starts with these two and nothing else. */
const BASELINE: Summary = {
  WriteOwnLogGroup: { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], on: 'own log group' },
  XRayTracing: { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], on: '*' },
};
const tableKey: Summary = {
  TableKeyViaDynamoDb: { actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], on: 'table key', when: viaDynamoDb },
};
const sendMail = (from: string): Summary => ({
  SendVerificationEmail: { actions: ['ses:SendEmail'], on: 'sender identity', when: { StringEquals: { 'ses:FromAddress': from } } },
});

describe('IAM: each function gets only what its code calls', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let stateless: Record<string, any>;
  const policyOf = (fn: string): Statement[] => {
    const id = logicalIdAt(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy', `${fn}/Policy`);
    return stateless.Resources[id].Properties.PolicyDocument.Statement;
  };
  /** The whole policy of a function, statement by statement: any added action, prefix, resource or condition shows. */
  const summaryOf = (fn: string): Summary => {
    const statements = policyOf(fn);
    // IAM requires unique Sids in a policy, and the summary is keyed by them.
    expect(new Set(statements.map((s) => s.Sid)).size).toBe(statements.length);
    return Object.fromEntries(
      statements.map((s) => {
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
    stateless = dev.statelessTemplate.toJSON();
  }, 120_000);
  afterAll(removeSynthOutputs);

  it('register: reservations pre-check, the registration transaction, its outbox mail and idempotency record, PHI data keys, SES', () => {
    expect(summaryOf('Register')).toEqual({
      ...BASELINE,
      TableBatchGetItem: { actions: ['dynamodb:BatchGetItem'], on: 'table', when: leadingKeys('EMAIL#', 'PHONE#') },
      TablePutItem: {
        actions: ['dynamodb:PutItem'],
        on: 'table',
        when: leadingKeys('PATIENT#', 'EMAIL#', 'PHONE#', 'VERIFY#', 'OUTBOX#', 'IDEMPOTENCY#'),
      },
      TableUpdateItem: { actions: ['dynamodb:UpdateItem'], on: 'table', when: leadingKeys('OUTBOX#', 'IDEMPOTENCY#') },
      TableDeleteItem: { actions: ['dynamodb:DeleteItem'], on: 'table', when: leadingKeys('IDEMPOTENCY#') },
      ...tableKey,
      PatientDataKeyGenerateDataKeyOnly: {
        actions: ['kms:GenerateDataKey'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      ...sendMail(dev.config.mailFrom),
    });
  });

  it('verify-email: reads the token, consumes it and verifies the patient in one transaction; no key, no SES', () => {
    expect(summaryOf('VerifyEmail')).toEqual({
      ...BASELINE,
      TableGetItem: { actions: ['dynamodb:GetItem'], on: 'table', when: leadingKeys('VERIFY#') },
      TableUpdateItem: { actions: ['dynamodb:UpdateItem'], on: 'table', when: leadingKeys('VERIFY#', 'PATIENT#') },
      ...tableKey,
    });
  });

  it('verify-email-page: no AWS permissions beyond its own logs and traces', () => {
    expect(summaryOf('VerifyEmailPage')).toEqual(BASELINE);
  });

  it('resend-verification: rate counter, contact lookup, token replacement with its outbox mail, SES', () => {
    expect(summaryOf('ResendVerification')).toEqual({
      ...BASELINE,
      TableUpdateItem: { actions: ['dynamodb:UpdateItem'], on: 'table', when: leadingKeys('RATE#', 'PATIENT#', 'OUTBOX#') },
      TableGetItem: { actions: ['dynamodb:GetItem'], on: 'table', when: leadingKeys('EMAIL#', 'PATIENT#') },
      TablePutItem: { actions: ['dynamodb:PutItem'], on: 'table', when: leadingKeys('VERIFY#', 'OUTBOX#') },
      ...tableKey,
      ...sendMail(dev.config.mailFrom),
    });
  });

  it('outbox-mailer: Query on the due index only, claims on OUTBOX# items, the stream, its dead-letter queue, SES', () => {
    expect(summaryOf('OutboxMailer')).toEqual({
      ...BASELINE,
      DueIndexQuery: { actions: ['dynamodb:Query'], on: 'due index' },
      TableUpdateItem: { actions: ['dynamodb:UpdateItem'], on: 'table', when: leadingKeys('OUTBOX#') },
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
