import { roleOfKey, type TableRole } from '../../lib/adapters/dynamodb/placement.js';
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
    // The due index and the stream are the outbox table's only: any other index or stream is unlabelled.
    [/OutboxTable\w*Arn\w*"\s*}\s*},\s*"\/index\/due"/, 'due index'],
    [/OutboxTable\w*StreamArn/, 'outbox table stream'],
    [/\/index\/|StreamArn/, ''],
    // The four tables the items are placed in (PLACED_TABLES).
    [/PatientTable\w*Arn/, 'table'],
    [/IdentityTable\w*Arn/, 'identity table'],
    [/TokenTable\w*Arn/, 'token table'],
    [/OutboxTable\w*Arn/, 'outbox table'],
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
  const name = labels.find(([pattern]) => pattern.test(json))?.[1];
  if (!name) throw new Error(`unlabelled resource ${json}`);
  return name;
}

/** The label of each table the items are placed in, by its placement role (lib/adapters/dynamodb/placement.ts). */
export const PLACED_TABLES: Readonly<Record<string, TableRole | undefined>> = {
  table: undefined,
  'identity table': 'identities',
  'token table': 'tokens',
  'outbox table': 'outbox',
};

/** The label of the table placement.ts puts items of a key prefix (`EMAIL#`) in. */
export function placedTableOf(prefix: string): string {
  const role = roleOfKey(prefix);
  return Object.entries(PLACED_TABLES).find(([, r]) => r === role)![0];
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
