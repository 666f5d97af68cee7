import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_CALLS, type TableCall } from '../../infra/constructs/table-access.js';
import { DUE_INDEX } from '../../lib/adapters/dynamodb/keys.js';
import { INTEGRATION_INCLUDE } from '../../vitest.config.js';
import { environmentOf, label, placedTableOf, PLACED_TABLES, policyOf, type Statement } from '../infra/policies.js';
import { asArray, removeSynthOutputs, resourcesOfType, synthStage, type SynthesizedStage } from '../infra/synth.js';
import { AWS_CALLS_DIR, callKey, type AwsCall, type Recording } from '../support/aws-calls.js';

/**
 * Each function's grants against the calls its code really made while the integration suite ran
 * against DynamoDB Local and the SES emulator (recorded per function by
 * test/support/record-aws-calls.ts). Both directions: every recorded (action, resource, key prefix)
 * is granted, so nothing the code does is AccessDenied in AWS; every grant was used at least once,
 * so nothing is granted "just in case" and every granted path has an integration test.
 */
const FUNCTIONS = ['Health', 'Jwks', 'Login', 'LoginMfa', 'Logout', 'Me', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MeEmailConfirmPage', 'MeExport', 'MePhone', 'MePhoneVerify', 'MeSessionEnd', 'MeSessions', 'MeSessionsRevokeOthers', 'MeTotp', 'MeTotpConfirm', 'MeTotpRemove', 'MeUpdate', 'OutboxMailer', 'PasskeyEnrol', 'PasskeyEnrolOptions', 'PasskeyEnrolPage', 'PasskeyList', 'PasskeyLogin', 'PasskeyLoginOptions', 'PasskeyRemove', 'PasskeySignInPage', 'PasswordChange', 'PasswordForgot', 'PasswordReset', 'PasswordResetPage', 'PhoneClaim', 'PhoneVerification', 'PhoneVerify', 'Register', 'ResendVerification', 'TokenRefresh', 'VerifyEmail', 'VerifyEmailPage'];
const RUN_FIRST = 'npx vitest run --project integration --project iam (or npm test)';

/**
 * Statements that the functions' code never exercises itself: AWS services use them with the
 * function's role. They are pinned exactly by test/infra/least-privilege.test.ts instead.
 */
const USED_BY_AWS_SERVICES: Record<string, string> = {
  WriteOwnLogGroup: 'the Lambda runtime writes the function logs',
  XRayTracing: 'the Lambda X-Ray integration sends the traces',
  TableKeyViaDynamoDb: 'DynamoDB uses the table key on the caller\'s behalf (kms:ViaService)',
  AuditKeyViaDynamoDb: 'DynamoDB uses the audit table\'s key on the caller\'s behalf (kms:ViaService)',
  OutboxTableStreamRead: 'the event source mapping reads the outbox table\'s stream; the handler only receives records',
  SendToDeadLetterQueue: 'Lambda sends failed stream batches and async invocations',
  DeadLetterQueueKeyViaSqs: 'SQS uses the queue key on the sender\'s behalf (kms:ViaService)',
};

/** Repository-relative files matching the include globs (only the "dir, any depth, file suffix" form the config uses). */
function filesMatching(globs: string[]): string[] {
  return globs.flatMap((glob) => {
    const match = /^([\w/-]+)\/\*\*\/\*([\w.-]+)$/.exec(glob);
    if (!match) throw new Error(`unsupported include glob ${glob}`);
    const [, dir, suffix] = match as unknown as [string, string, string];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(suffix))
      .map((f) => path.join(dir, f));
  });
}

/** Every recording the integration project wrote; refuses a missing or partial run. */
function loadRecordings(): Recording[] {
  const recordings = existsSync(AWS_CALLS_DIR)
    ? readdirSync(AWS_CALLS_DIR).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(AWS_CALLS_DIR, f), 'utf8')) as Recording)
    : [];
  const recorded = new Set(recordings.map((r) => r.testFile));
  const missing = filesMatching(INTEGRATION_INCLUDE).filter((file) => !recorded.has(file));
  if (recordings.length === 0) {
    throw new Error(`No AWS call recordings in ${path.relative(process.cwd(), AWS_CALLS_DIR)}: the integration project writes them. Run: ${RUN_FIRST}`);
  }
  if (missing.length > 0) {
    throw new Error(`The AWS call recordings are from a partial integration run (missing: ${missing.join(', ')}). Run: ${RUN_FIRST}`);
  }
  return recordings;
}

interface Grants {
  /** callKey → the statement that grants it. */
  granted: Map<string, string>;
  /** callKey → encryption-context values the grant requires (kms:EncryptionContext:* conditions). */
  contextRequired: Map<string, Record<string, unknown>>;
  /** callKey → the MAC algorithm the grant allows (kms:MacAlgorithm). */
  macAlgorithm: Map<string, string>;
}

/**
 * A function's policy in the units the recorder writes. A statement the test cannot read as
 * "exactly these calls" fails the test: an unrestricted table grant must not slip through.
 */
function grantsOf(stage: SynthesizedStage, fn: string): Grants {
  const grants: Grants = { granted: new Map(), contextRequired: new Map(), macAlgorithm: new Map() };
  const env = environmentOf(stage, fn);
  const grant = (key: string, sid: string) => {
    if (grants.granted.has(key)) throw new Error(`${fn}: ${key} granted twice (${grants.granted.get(key)}, ${sid})`);
    grants.granted.set(key, sid);
  };
  for (const s of policyOf(stage, fn)) {
    const sid = s.Sid ?? '(no Sid)';
    expect(s.Effect, sid).toBe('Allow');
    if (sid in USED_BY_AWS_SERVICES) continue;
    const actions = asArray(s.Action);
    const on = label(s.Resource, fn);
    const unreadable = () => new Error(`${fn}: statement ${sid} is not one the comparison can read: ${JSON.stringify(s)}`);

    if (actions.every((a) => a.startsWith('dynamodb:')) && on in PLACED_TABLES) {
      // The integration run has one table (every name the same), so the recorder names it 'table';
      // a statement on any of the four is read as grants on 'table' only for the prefixes placement.ts
      // puts in that statement's table: a prefix granted on another table is AccessDenied in AWS.
      const prefixes = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      if (!prefixes || Object.keys(s.Condition!).length !== 1) throw unreadable();
      for (const p of asArray(prefixes as string[])) {
        const prefix = p.replace(/\*$/, '');
        const placed = placedTableOf(prefix);
        if (placed !== on) throw new Error(`${fn}: statement ${sid} grants ${prefix} items on the ${on}, but placement.ts puts them in the ${placed} (lib/adapters/dynamodb/placement.ts)`);
        for (const action of actions) grant(callKey({ action, resource: 'table', prefix }), sid);
      }
    } else if (actions.every((a) => a.startsWith('dynamodb:')) && on === 'audit table') {
      if (s.Condition) throw unreadable();
      for (const action of actions) grant(callKey({ action, resource: 'audit table' }), sid);
    } else if (actions.every((a) => a.startsWith('kms:')) && (on === 'patient-data key' || on === 'access-token wrapping key')) {
      // The key the code uses is KMS_KEY_ID / ACCESS_TOKEN_WRAPPING_KEY_ID; the grant counts for it only if it names that same key.
      const variable = on === 'patient-data key' ? 'KMS_KEY_ID' : 'ACCESS_TOKEN_WRAPPING_KEY_ID';
      const resource = JSON.stringify(s.Resource) === JSON.stringify(env[variable]) ? `$${variable}` : JSON.stringify(s.Resource);
      const equals = s.Condition?.StringEquals ?? {};
      if (Object.keys(s.Condition ?? {}).some((op) => op !== 'StringEquals')) throw unreadable();
      const required = Object.fromEntries(Object.entries(equals).map(([k, v]) => {
        if (!k.startsWith('kms:EncryptionContext:')) throw unreadable();
        return [k.slice('kms:EncryptionContext:'.length), v];
      }));
      for (const action of actions) {
        grant(callKey({ action, resource }), sid);
        grants.contextRequired.set(callKey({ action, resource }), required);
      }
    } else if (actions.every((a) => a.startsWith('sms-voice:')) && on.startsWith('sms origination identity')) {
      // The code texts from SMS_ORIGINATION_IDENTITY; the grant counts for it only if it names that value.
      const resources = asArray(s.Resource as unknown as string[]);
      if (s.Condition) throw unreadable();
      const resource = resources.some((r) => JSON.stringify(r) === JSON.stringify(env.SMS_ORIGINATION_IDENTITY)) ? '$SMS_ORIGINATION_IDENTITY' : JSON.stringify(s.Resource);
      for (const action of actions) grant(callKey({ action, resource }), sid);
    } else if (actions.every((a) => a.startsWith('dynamodb:')) && on === 'due index') {
      // The outbox table's (test/infra/policies.ts labels no other table's index).
      if (s.Condition) throw unreadable();
      for (const action of actions) grant(callKey({ action, resource: `index/${DUE_INDEX}` }), sid);
    } else if (actions.every((a) => a.startsWith('ses:')) && on === 'sender identity') {
      // SES checks the From address; the code sends from MAIL_FROM, so the grant must name that very value.
      const from = s.Condition?.StringEquals?.['ses:FromAddress'];
      if (Object.keys(s.Condition ?? {}).length !== 1 || Object.keys(s.Condition!.StringEquals!).length !== 1) throw unreadable();
      for (const action of actions) grant(callKey({ action, resource: from === env.MAIL_FROM ? '$MAIL_FROM' : String(from) }), sid);
    } else if (actions.every((a) => a.startsWith('kms:')) && on === 'identifier key') {
      const resource = JSON.stringify(s.Resource) === JSON.stringify(env.IDENTIFIER_KEY_ID) ? '$IDENTIFIER_KEY_ID' : JSON.stringify(s.Resource);
      const algorithm = s.Condition?.StringEquals?.['kms:MacAlgorithm'];
      if (Object.keys(s.Condition ?? {}).length !== 1 || Object.keys(s.Condition!.StringEquals!).length !== 1 || !algorithm) throw unreadable();
      for (const action of actions) {
        grant(callKey({ action, resource }), sid);
        grants.macAlgorithm.set(callKey({ action, resource }), String(algorithm));
      }
    } else {
      throw unreadable();
    }
  }
  return grants;
}

describe('IAM grants = the AWS calls each function\'s code makes (recorded by the integration suite)', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let functions: string[];
  /** Throws (in every test, so none of them is skipped) when the recordings are missing or partial. */
  let recorded: () => AwsCall[];

  beforeAll(() => {
    try {
      const calls = loadRecordings().flatMap((r) => r.calls);
      recorded = () => calls;
    } catch (error) {
      recorded = () => { throw error; };
    }
    dev = synthStage('dev');
    functions = Object.values(dev.stateless.functions).map((f) => f.node.id).sort();
  }, 120_000);
  afterAll(removeSynthOutputs);

  const recordedBy = (fn: string) => new Set(recorded().filter((c) => c.fn === fn).map(callKey));

  it('has recordings from every file of a complete integration run', () => {
    expect(recorded().length).toBeGreaterThan(0);
  });

  it('records calls only for functions the stack deploys', () => {
    const calls = recorded();
    expect(functions).toEqual(FUNCTIONS);
    expect([...new Set(calls.map((c) => c.fn))].filter((fn) => !functions.includes(fn))).toEqual([]);
  });

  it.each(FUNCTIONS)(
    '%s: every call its code made is granted',
    (fn) => {
      const { granted } = grantsOf(dev, fn);
      const denied = [...recordedBy(fn)].filter((key) => !granted.has(key)).sort();
      expect(denied, `${fn} makes these calls without a grant: AccessDenied in AWS`).toEqual([]);
    },
  );

  it.each(FUNCTIONS)(
    '%s: every grant was used by a call in the integration suite',
    (fn) => {
      const { granted } = grantsOf(dev, fn);
      const recorded = recordedBy(fn);
      const unused = [...granted].filter(([key]) => !recorded.has(key)).map(([key, sid]) => `${key} (${sid})`).sort();
      expect(unused, `${fn} is granted these but no integration test made the call: drop the grant or add the test`).toEqual([]);
    },
  );

  /**
   * A KMS grant's conditions against what each call sent: the condition's values must be what the
   * call carries (the encryption context need only contain the required pairs).
   */
  const conditionChecks: [string, (g: Grants) => Map<string, unknown>, (call: AwsCall, required: unknown) => void][] = [
    ['every KMS call carries the encryption context its grant requires', (g) => g.contextRequired,
      (call, required) => expect(call.encryptionContext ?? {}).toMatchObject(required as Record<string, unknown>)],
    ['every GenerateMac uses the algorithm its grant allows', (g) => g.macAlgorithm, (call, required) => expect(call.macAlgorithm).toBe(required)],
  ];

  it.each(conditionChecks)('%s', (_name, conditionsOf, check) => {
    let checked = 0;
    for (const fn of functions) {
      const conditions = conditionsOf(grantsOf(dev, fn));
      for (const call of recorded().filter((c) => c.fn === fn && conditions.has(callKey(c)))) {
        check(call, conditions.get(callKey(call)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  /**
   * Per adapter method, not per function: a method's line in infra/constructs/table-access.ts must
   * cover every table call made while it ran (the recorder names the methods on the stack). A
   * function-wide comparison misses a line that leaves out a read another method's line grants to
   * the same function (findVerificationToken's patient read, covered by getPatient's grant).
   */
  it('every table call an adapter method made is on that method\'s line in TABLE_CALLS', () => {
    const attributed = recorded().filter((c) => c.resource === 'table' && c.methods);
    expect(attributed.length).toBeGreaterThan(0);
    const missing = new Set<string>();
    for (const call of attributed) {
      for (const method of call.methods as TableCall[]) {
        const prefixes: readonly string[] = (TABLE_CALLS[method] as Record<string, readonly string[]>)[call.action] ?? [];
        if (!prefixes.includes(call.prefix!)) missing.add(`${method}: ${callKey(call)}`);
      }
    }
    expect([...missing].sort(), 'add these to the method\'s line in infra/constructs/table-access.ts').toEqual([]);
  });

  it('sets aside only the statements AWS services use, each of them somewhere in the stack', () => {
    const sids = new Set(
      Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy')).flatMap((p) =>
        (p.Properties?.PolicyDocument.Statement as Statement[]).map((s) => s.Sid),
      ),
    );
    for (const sid of Object.keys(USED_BY_AWS_SERVICES)) expect(sids.has(sid), sid).toBe(true);
  });
});
