import type { SynthesizedStage } from './synth.js';
import { logicalIdAt } from './synth.js';

/** One IAM statement as synthesized. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

/** What a statement's resource points at, by name (cross-stack values are Fn::GetStackOutput of named outputs). */
export function label(value: unknown, fn: string): string {
  if (value === '*') return '*';
  if (Array.isArray(value)) return value.map((v) => label(v, fn)).join(', ');
  const json = JSON.stringify(value);
  const labels: [RegExp, string][] = [
    [/PatientTable\w*Arn\w*"\s*}\s*},\s*"\/index\/due"/, 'due index'],
    [/PatientTable\w*StreamArn/, 'table stream'],
    [/PatientTable\w*Arn/, 'table'],
    [/TableKey\w*Arn/, 'table key'],
    [/PatientDataKey\w*Arn/, 'patient-data key'],
    [/IdentifierKey\w*Arn/, 'identifier key'],
    [/ObservabilityKey\w*Arn/, 'observability key'],
    [/AuditTable\w*Arn/, 'audit table'],
    [/AuditKey\w*Arn/, 'audit key'],
    [/AccessTokenKeysWrappingKey\w*Arn/, 'access-token wrapping key'],
    [new RegExp(`"${fn}LogGroup\\w*"`), 'own log group'],
    [/OutboxMailerDeadLetterQueue\w*"\s*,\s*"Arn"/, 'dead-letter queue'],
    [/:identity\/"\s*,\s*{\s*"Ref":\s*"SenderIdentity/, 'sender identity'],
    [/:sms-voice:[^"]*:(phone-number|pool|sender-id)\//, 'sms origination identity'],
    [/:sms-voice:[^"]*:configuration-set\//, 'sms configuration set'],
  ];
  for (const [pattern, name] of labels) if (pattern.test(json)) return name;
  throw new Error(`unlabelled resource ${json}`);
}

/** Conditions with intrinsic values (queue ARN) replaced by their label. */
export function conditions(condition: Statement['Condition'], fn: string): unknown {
  if (!condition) return undefined;
  return JSON.parse(JSON.stringify(condition), (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k === 'Ref' || k.startsWith('Fn::'))
      ? label(value, fn)
      : value,
  );
}

/** The statements of a function's one managed policy; `fn` is its CDK id (Register, OutboxMailer, …). */
export function policyOf(stage: SynthesizedStage, fn: string): Statement[] {
  const id = logicalIdAt(stage.statelessTemplate, 'AWS::IAM::ManagedPolicy', `${fn}/Policy`);
  return stage.statelessTemplate.toJSON().Resources[id].Properties.PolicyDocument.Statement;
}

/** The environment variables of a function's Lambda, as synthesized (values may be intrinsics). */
export function environmentOf(stage: SynthesizedStage, fn: string): Record<string, unknown> {
  const id = logicalIdAt(stage.statelessTemplate, 'AWS::Lambda::Function', `${fn}/Function`);
  return stage.statelessTemplate.toJSON().Resources[id].Properties.Environment?.Variables ?? {};
}
