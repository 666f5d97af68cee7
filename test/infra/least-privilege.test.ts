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

describe('IAM: each function gets only what its code calls', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let stateless: Record<string, any>;
  const policyOf = (fn: string): Statement[] => {
    const id = logicalIdAt(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy', `${fn}/Policy`);
    return stateless.Resources[id].Properties.PolicyDocument.Statement;
  };
  /** Which stateful-stack output a statement's resource points at (table, table key, patient-data key). */
  const target = (s: Statement): string => JSON.stringify(s.Resource);
  const actionsOn = (statements: Statement[], output: RegExp): string[] =>
    statements.filter((s) => output.test(target(s))).flatMap((s) => asArray(s.Action)).sort();

  beforeAll(() => {
    dev = synthStage('dev');
    stateless = dev.statelessTemplate.toJSON();
  }, 120_000);
  afterAll(removeSynthOutputs);

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

  it('register: BatchGetItem + PutItem on its key prefixes, GenerateDataKey with PHI context, SendEmail from the sender', () => {
    const statements = policyOf('Register');
    const table = statements.find((s) => s.Sid === 'PatientTableItems')!;
    expect(asArray(table.Action).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem']);
    expect(table.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PATIENT#*', 'EMAIL#*', 'PHONE#*', 'VERIFY#*'] },
    });
    const phi = statements.find((s) => s.Sid === 'PatientDataKeyGenerateDataKeyOnly')!;
    expect(phi.Action).toBe('kms:GenerateDataKey');
    expect(phi.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } });
    const mail = statements.find((s) => s.Sid === 'SendVerificationEmail')!;
    expect(mail.Action).toBe('ses:SendEmail');
    expect(mail.Condition).toEqual({ StringEquals: { 'ses:FromAddress': dev.config.mailFrom } });
    expect(JSON.stringify(mail.Resource)).toMatch(/:identity\//);
  });

  it('register can never decrypt with the patient-data key', () => {
    expect(actionsOn(policyOf('Register'), /PatientDataKey/)).toEqual(['kms:GenerateDataKey']);
    // Nor can anything else in the stateless stack.
    for (const p of Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy'))) {
      for (const s of p.Properties?.PolicyDocument.Statement as Statement[]) {
        if (/PatientDataKey/.test(target(s))) expect(asArray(s.Action)).not.toContain('kms:Decrypt');
      }
    }
  });

  it('table key use (incl. the unavoidable kms:Decrypt) is only via DynamoDB', () => {
    for (const fn of ['Register', 'VerifyEmail']) {
      const s = policyOf(fn).find((x) => x.Sid === 'TableKeyViaDynamoDb')!;
      expect(target(s)).toMatch(/TableKey/);
      expect(s.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } });
    }
  });

  it('verify-email: GetItem + UpdateItem on VERIFY#/PATIENT# items, no patient-data key, no SES', () => {
    const statements = policyOf('VerifyEmail');
    expect(statements.map((s) => s.Sid)).toEqual(['WriteOwnLogGroup', 'XRayTracing', 'PatientTableItems', 'TableKeyViaDynamoDb']);
    const table = statements.find((s) => s.Sid === 'PatientTableItems')!;
    expect(asArray(table.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(table.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['VERIFY#*', 'PATIENT#*'] } });
  });

  it('verify-email-page: no AWS permissions beyond its own logs and traces', () => {
    expect(policyOf('VerifyEmailPage').map((s) => s.Sid)).toEqual(['WriteOwnLogGroup', 'XRayTracing']);
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
