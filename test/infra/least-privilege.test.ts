import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_OF_PREFIX } from '../../lib/adapters/dynamodb/placement.js';
import { conditions, label, placedTableOf, PLACED_TABLES, policyOf as statementsOf, type Statement } from './policies.js';
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
const writeAudit: Summary = {
  AuditTablePutItem: { actions: ['dynamodb:PutItem'], on: 'audit table' },
  AuditKeyViaDynamoDb: { actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], on: 'audit key', when: viaDynamoDb },
};
/** Verifying a token needs no AWS call: the public keys are in the environment. */
const verifyTokens: Summary = {};
/** Issuing one: the one Decrypt per cold start that unwraps the signing key, under its purpose only. */
const signTokens: Summary = {
  AccessTokenKeyUnwrap: {
    actions: ['kms:Decrypt'],
    on: 'access-token wrapping key',
    when: { StringEquals: { 'kms:EncryptionContext:purpose': 'access-token-signing-key' } },
  },
};
const ALL_FUNCTIONS = [
  'Health', 'Jwks', 'Login', 'LoginMfa', 'Logout', 'Me', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MeEmailConfirmPage', 'MeExport', 'MePhone', 'MePhoneVerify', 'MeSessionEnd', 'MeSessions', 'MeSessionsRevokeOthers', 'MeTotp', 'MeTotpConfirm', 'MeTotpRemove', 'MeUpdate', 'OutboxMailer', 'PasskeyEnrol', 'PasskeyEnrolOptions', 'PasskeyEnrolPage', 'PasskeyList', 'PasskeyLogin', 'PasskeyLoginOptions', 'PasskeyRemove', 'PasskeySignInPage', 'PasswordChange', 'PasswordForgot', 'PasswordReset', 'PasswordResetPage', 'PhoneClaim', 'PhoneVerification', 'PhoneVerify', 'Register', 'ResendVerification', 'TokenRefresh', 'VerifyEmail', 'VerifyEmailPage',
];
const sendMail = (from: string): Summary => ({
  SendVerificationEmail: { actions: ['ses:SendEmail'], on: 'sender identity', when: { StringEquals: { 'ses:FromAddress': from } } },
});

describe('IAM: a stage that texts with a configuration set', { timeout: 120_000 }, () => {
  let stage: SynthesizedStage;
  beforeAll(() => {
    stage = synthStage('staging', { context: { smsConfigurationSet: 'patient-codes' } });
  }, 120_000);
  afterAll(removeSynthOutputs);

  it('grants SendTextMessage on that configuration set too (IAM authorises it as a resource of the call), and nothing else', () => {
    const sms = statementsOf(stage, 'OutboxMailer').filter((s) => s.Sid === 'SendTextMessage');
    expect(sms).toHaveLength(1);
    expect(asArray(sms[0]!.Action)).toEqual(['sms-voice:SendTextMessage']);
    const resources = asArray(sms[0]!.Resource as unknown[]);
    expect(resources.map((r) => label(r, 'OutboxMailer')).sort()).toEqual(['sms configuration set', 'sms origination identity']);
    expect(resources).toContain(stage.config.sms.originationIdentity);
    expect(JSON.stringify(resources)).toContain(':sms-voice:us-east-1:123456789012:configuration-set/patient-codes');
    expect(sms[0]!.Condition).toBeUndefined();
  });
});

describe('IAM: each function gets only what its code calls', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  const policyOf = (fn: string): Statement[] => statementsOf(dev, fn);
  /**
   * Table item statements (one dynamodb action on one of the four tables the items are placed in,
   * restricted by LeadingKeys). Which actions and prefixes each function gets is not pinned here:
   * test/iam compares them with the calls the integration suite recorded, in both directions. A list
   * written down here once pinned a missing grant (register's GetItem) instead of catching it.
   */
  const isTableItemStatement = (s: Statement, fn: string) =>
    asArray(s.Action).every((a) => a.startsWith('dynamodb:')) && label(s.Resource, fn) in PLACED_TABLES;
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

  /** A statement's LeadingKeys prefixes (`EMAIL#`). */
  const prefixesOf = (s: Statement): string[] =>
    asArray(s.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys'] as string[]).map((p) => p.replace(/\*$/, ''));
  /** A function's table item statements as action → LeadingKeys prefixes, over all four tables (where each lives is checked apart). */
  const tableItemsOf = (fn: string): Record<string, string[]> => {
    const items: Record<string, string[]> = {};
    for (const s of policyOf(fn).filter((st) => isTableItemStatement(st, fn))) (items[asArray(s.Action)[0]!] ??= []).push(...prefixesOf(s));
    return Object.fromEntries(Object.entries(items).map(([action, prefixes]) => [action, prefixes.sort()]));
  };
  /** The Sid prefix of each table's item statements. */
  const SID_OF_TABLE: Record<string, string> = { table: 'Table', 'identity table': 'IdentityTable', 'token table': 'TokenTable', 'outbox table': 'OutboxTable' };
  /** Every statement of every function's policy, with the function's name. */
  const allStatements = () => ALL_FUNCTIONS.flatMap((fn) => policyOf(fn).map((s) => ({ fn, s })));

  it.each(ALL_FUNCTIONS)(
    '%s: every table item statement is one action on one table, limited to whole key prefixes by dynamodb:LeadingKeys',
    (fn) => {
      for (const s of policyOf(fn).filter((st) => isTableItemStatement(st, fn))) {
        const [action, ...more] = asArray(s.Action);
        expect(more).toEqual([]);
        expect(asArray(s.Resource as unknown[])).toHaveLength(1);
        expect(s.Sid).toBe(`${SID_OF_TABLE[label(s.Resource, fn)]}${action!.slice('dynamodb:'.length)}`);
        expect(Object.keys(s.Condition ?? {})).toEqual(['ForAllValues:StringLike']);
        expect(Object.keys(s.Condition!['ForAllValues:StringLike']!)).toEqual(['dynamodb:LeadingKeys']);
        const patterns = asArray(s.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys'] as string[]);
        expect(patterns.length).toBeGreaterThan(0);
        for (const p of patterns) expect(p).toMatch(/^[A-Z]+#\*$/);
      }
    },
  );

  // Issue 23: a grant on the wrong table is AccessDenied for the family's real table (and opens a
  // table the use case has no business in), so each prefix is granted only where placement.ts puts it.
  it.each(ALL_FUNCTIONS)('%s: each table item statement\'s prefixes are all placed in that statement\'s table (lib/adapters/dynamodb/placement.ts)', (fn) => {
    for (const s of policyOf(fn).filter((st) => isTableItemStatement(st, fn))) {
      const on = label(s.Resource, fn);
      expect(prefixesOf(s).map((prefix) => [prefix, placedTableOf(prefix)]), `${fn} ${s.Sid}`).toEqual(prefixesOf(s).map((prefix) => [prefix, on]));
    }
  });

  it('places grants in all four tables across the functions, and the moved families nowhere but their tables', () => {
    const statements = allStatements().filter(({ fn, s }) => isTableItemStatement(s, fn));
    const tablesUsed = new Set(statements.map(({ fn, s }) => label(s.Resource, fn)));
    expect([...tablesUsed].sort()).toEqual(Object.keys(PLACED_TABLES).sort());
    // Every moved family is granted somewhere, so the check above is not vacuous for any of them.
    const granted = new Set(statements.flatMap(({ s }) => prefixesOf(s)));
    for (const family of Object.keys(TABLE_OF_PREFIX)) expect(granted.has(`${family}#`), family).toBe(true);
  });

  it('register: besides its table items, PHI data keys (generate only) and the audit trail (a phone takeover): no SES (the outbox mailer sends its mail)', () => {
    expect(summaryOf('Register')).toEqual({
      ...BASELINE,
      ...tableKey,
      PatientDataKeyGenerateDataKeyOnly: {
        actions: ['kms:GenerateDataKey'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      ...generateMac,
      ...writeAudit,
    });
  });

  it('verify-email: besides its table items, identifier MACs, token signing and the audit trail: no patient data key, no SES', () => {
    expect(summaryOf('VerifyEmail')).toEqual({
      ...BASELINE,
      ...tableKey,
      ...generateMac,
      ...signTokens,
      ...writeAudit,
    });
  });

  it('login: besides its table items, identifier MACs (email, IP), token signing and the audit trail', () => {
    expect(summaryOf('Login')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...signTokens, ...writeAudit });
  });

  it('token-refresh: besides its table items, IP MACs, token signing and the audit trail', () => {
    expect(summaryOf('TokenRefresh')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...signTokens, ...writeAudit });
  });

  it('logout: besides its table items, IP MACs, token verification only (no Sign) and the audit trail', () => {
    expect(summaryOf('Logout')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...verifyTokens, ...writeAudit });
  });

  it('me: besides its table items, PHI decryption with the PHI purpose only, token verification and the audit trail', () => {
    expect(summaryOf('Me')).toEqual({
      ...BASELINE,
      ...tableKey,
      PatientDataKeyDecryptPhi: {
        actions: ['kms:Decrypt'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      ...generateMac,
      ...verifyTokens,
      ...writeAudit,
    });
  });

  it('the session routes: their table items and token verification; ending sessions is audited (IP MACs), listing them is not; no patient data key', () => {
    expect(summaryOf('MeSessions')).toEqual({ ...BASELINE, ...tableKey, ...verifyTokens });
    expect(summaryOf('MeSessionEnd')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...verifyTokens, ...writeAudit });
    expect(summaryOf('MeSessionsRevokeOthers')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...verifyTokens, ...writeAudit });
  });

  it('me-export: the me function\'s reads and decryption, token verification, the audit trail, and a Query of the trail (its only reader)', () => {
    expect(summaryOf('MeExport')).toEqual({
      ...BASELINE,
      ...tableKey,
      PatientDataKeyDecryptPhi: {
        actions: ['kms:Decrypt'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      ...generateMac,
      ...verifyTokens,
      ...writeAudit,
      AuditTableQuery: { actions: ['dynamodb:Query'], on: 'audit table' },
    });
  });

  it('the passkey routes (issue 21): their table items and token verification; adding and removing are audited, passkey sign-in signs tokens; no patient data key', () => {
    expect(summaryOf('PasskeyEnrolOptions')).toEqual({ ...BASELINE, ...tableKey, ...verifyTokens });
    expect(summaryOf('PasskeyEnrol')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...verifyTokens, ...writeAudit });
    expect(summaryOf('PasskeyList')).toEqual({ ...BASELINE, ...tableKey, ...verifyTokens });
    expect(summaryOf('PasskeyRemove')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...verifyTokens, ...writeAudit });
    expect(summaryOf('PasskeyLoginOptions')).toEqual({ ...BASELINE, ...tableKey });
    expect(summaryOf('PasskeyLogin')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...signTokens, ...writeAudit });
  });

  it('me-update: the me function\'s reads and decryption, plus a data key to re-encrypt, token verification and the audit trail', () => {
    expect(summaryOf('MeUpdate')).toEqual({
      ...BASELINE,
      ...tableKey,
      PatientDataKeyDecryptPhi: {
        actions: ['kms:Decrypt'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      PatientDataKeyGenerateDataKeyOnly: {
        actions: ['kms:GenerateDataKey'],
        on: 'patient-data key',
        when: { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } },
      },
      ...generateMac,
      ...verifyTokens,
      ...writeAudit,
    });
  });

  /**
   * The sign-in roles' table items, pinned from the DynamoDB adapters (session-store, login-failure-counter,
   * patient-repository): a change to infra/constructs/table-access.ts that widens one (say, a prefix
   * that opens patient profiles to logout) shows here. test/iam checks them against recorded calls.
   */
  it.each([
    // With a second factor held (an app: TOTP#; a passkey: one Query of the patient's PASSKEYS#), the
    // second step's challenge instead of a session (issue 21).
    ['Login', {
      'dynamodb:GetItem': ['EMAIL#', 'LOGIN#', 'PATIENT#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['FAMILY#', 'MFA#', 'REFRESH#'],
      // A session starts only while the patient is active and at the hash compared (issue 19 item 3).
      'dynamodb:ConditionCheckItem': ['PATIENT#'],
    }],
    // A code, or a passkey: its credential found by the PASSKEYID# owner item, its counter moved forward.
    ['LoginMfa', {
      'dynamodb:GetItem': ['LOGIN#', 'MFA#', 'PASSKEYID#', 'PASSKEYS#', 'PATIENT#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'LOGIN#', 'MFA#', 'PASSKEYS#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['FAMILY#', 'REFRESH#'],
      'dynamodb:ConditionCheckItem': ['PATIENT#'],
    }],
    // The step-up asks for both kinds of factor: TOTP# and the PASSKEYS# Query (MeTotpRemove, MeClose, PasswordChange alike).
    ['MeTotp', { 'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'TOTP#'], 'dynamodb:Query': ['PASSKEYS#'], 'dynamodb:PutItem': ['TOTP#'] }],
    ['MeTotpConfirm', {
      'dynamodb:GetItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'TOTP#'],
      'dynamodb:UpdateItem': ['LOGIN#', 'TOTP#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['OUTBOX#'],
    }],
    ['MeTotpRemove', {
      'dynamodb:GetItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'LOGIN#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:DeleteItem': ['LOGIN#', 'TOTP#'],
      'dynamodb:PutItem': ['OUTBOX#'],
    }],
    ['VerifyEmail', {
      'dynamodb:GetItem': ['LOGIN#', 'PATIENT#', 'SESSIONS#', 'VERIFY#'],
      'dynamodb:UpdateItem': ['EMAIL#', 'FAMILY#', 'LOGIN#', 'PATIENT#', 'PHONE#', 'SESSIONS#', 'VERIFY#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['FAMILY#', 'REFRESH#'],
      'dynamodb:ConditionCheckItem': ['PATIENT#'],
    }],
    ['TokenRefresh', {
      'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'REFRESH#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'],
      'dynamodb:PutItem': ['REFRESH#'],
    }],
    ['Logout', { 'dynamodb:GetItem': ['FAMILY#', 'REFRESH#'], 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'] }],
    // The session check of every Bearer route reads the token's FAMILY# (issue 19 item 3).
    ['Me', { 'dynamodb:GetItem': ['FAMILY#', 'PATIENT#'] }],
    ['MeUpdate', { 'dynamodb:GetItem': ['FAMILY#', 'PATIENT#'], 'dynamodb:UpdateItem': ['PATIENT#'], 'dynamodb:PutItem': ['OUTBOX#'] }],
    // The password change's items: the close is the same shape of transaction (issue 20).
    ['MeClose', {
      'dynamodb:GetItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['OUTBOX#'],
    }],
    // Moving the email (issue 20): the request checks the password, pre-checks the address and writes
    // the pending move (or only the "someone tried" mail); the confirmation swaps the reservations in one transaction.
    ['MeEmail', {
      'dynamodb:GetItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'RATE#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:UpdateItem': ['LOGIN#', 'PATIENT#', 'RATE#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:BatchGetItem': ['EMAIL#', 'PHONE#'],
      'dynamodb:PutItem': ['EMAILMOVE#', 'OUTBOX#'],
    }],
    ['MeEmailConfirm', {
      'dynamodb:GetItem': ['EMAILMOVE#', 'FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#'],
      'dynamodb:UpdateItem': ['EMAILMOVE#', 'FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#'],
      'dynamodb:DeleteItem': ['EMAIL#', 'LOGIN#'],
      'dynamodb:PutItem': ['EMAIL#', 'OUTBOX#'],
      'dynamodb:ConditionCheckItem': ['EMAIL#', 'SESSIONS#'],
    }],
    // Moving the phone: the password, the pre-check (the number's holder and whether it proved it,
    // issue 19 item 4), the phone verification's limits and code; then the swap, which may take the
    // number from an unproven holder (its reservation and patient read, updated, its notice queued).
    ['MePhone', {
      'dynamodb:GetItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'PHONE#', 'RATE#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:UpdateItem': ['LOGIN#', 'RATE#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['OUTBOX#', 'PHONECODE#'],
    }],
    ['MePhoneVerify', {
      'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'PHONE#', 'PHONECODE#'],
      'dynamodb:UpdateItem': ['PATIENT#', 'PHONECODE#'],
      'dynamodb:DeleteItem': ['PHONE#', 'PHONECODE#'],
      'dynamodb:PutItem': ['OUTBOX#', 'PHONE#'],
      'dynamodb:ConditionCheckItem': ['PHONE#'],
    }],
    // The session list reads the patient's index and BatchGets the families it names: never a Scan.
    ['MeSessions', { 'dynamodb:GetItem': ['FAMILY#', 'SESSIONS#'], 'dynamodb:BatchGetItem': ['FAMILY#'] }],
    ['MeSessionEnd', { 'dynamodb:GetItem': ['FAMILY#'], 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'] }],
    ['MeSessionsRevokeOthers', { 'dynamodb:GetItem': ['FAMILY#', 'SESSIONS#'], 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'] }],
    // The export reads what GET /me and GET /me/sessions read (and the step-up's factors), and writes nothing to this table.
    ['MeExport', { 'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'SESSIONS#', 'TOTP#'], 'dynamodb:BatchGetItem': ['FAMILY#'], 'dynamodb:Query': ['PASSKEYS#'] }],
    // Passkeys (issue 21): a patient's own PASSKEYS# partition (one Query to list), the PASSKEYID#
    // owner items a sign-in finds a credential by, and WEBAUTHN# challenges; never a patient profile write.
    // Their step-up reads the app's TOTP# too (one answer for both kinds of factor).
    ['PasskeyEnrolOptions', { 'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'TOTP#'], 'dynamodb:Query': ['PASSKEYS#'], 'dynamodb:PutItem': ['WEBAUTHN#'] }],
    ['PasskeyEnrol', {
      'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:DeleteItem': ['WEBAUTHN#'],
      'dynamodb:PutItem': ['OUTBOX#', 'PASSKEYID#', 'PASSKEYS#'],
      'dynamodb:UpdateItem': ['PASSKEYS#'],
    }],
    ['PasskeyList', { 'dynamodb:GetItem': ['FAMILY#'], 'dynamodb:Query': ['PASSKEYS#'] }],
    ['PasskeyRemove', {
      'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:DeleteItem': ['PASSKEYID#', 'PASSKEYS#'],
      'dynamodb:PutItem': ['OUTBOX#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'PASSKEYS#', 'SESSIONS#'],
    }],
    ['PasskeyLoginOptions', { 'dynamodb:PutItem': ['WEBAUTHN#'] }],
    ['PasskeyLogin', {
      'dynamodb:GetItem': ['PASSKEYID#', 'PASSKEYS#', 'PATIENT#', 'SESSIONS#'],
      'dynamodb:DeleteItem': ['WEBAUTHN#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'PASSKEYS#', 'SESSIONS#'],
      'dynamodb:PutItem': ['FAMILY#', 'REFRESH#'],
      'dynamodb:ConditionCheckItem': ['PATIENT#'],
    }],
    // Issue 11, from infra/constructs/table-access.ts (reconciled with the recorded calls by test/iam).
    // Forgot answers before any lookup: no patient, reservation or token item at all.
    ['PasswordForgot', { 'dynamodb:UpdateItem': ['RATE#'], 'dynamodb:PutItem': ['OUTBOX#'] }],
    ['ResendVerification', { 'dynamodb:UpdateItem': ['RATE#'], 'dynamodb:PutItem': ['OUTBOX#'] }],
    // Issue 19 item 4: counted (a sliding window reads its hits first) and queued; the outbox looks the number up.
    ['PhoneClaim', { 'dynamodb:GetItem': ['RATE#'], 'dynamodb:UpdateItem': ['RATE#'], 'dynamodb:PutItem': ['OUTBOX#'] }],
    // A taken-back account's reset (issue 20) deletes its unproven number's reservation (PHONE#).
    ['PasswordReset', {
      'dynamodb:GetItem': ['PATIENT#', 'RESET#', 'SESSIONS#'],
      'dynamodb:UpdateItem': ['EMAIL#', 'FAMILY#', 'PATIENT#', 'PHONE#', 'RESET#', 'SESSIONS#'],
      'dynamodb:PutItem': ['OUTBOX#'],
      'dynamodb:DeleteItem': ['LOGIN#', 'PHONE#'],
      'dynamodb:ConditionCheckItem': ['SESSIONS#'],
    }],
    ['PasswordChange', {
      'dynamodb:GetItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#', 'TOTP#'],
      'dynamodb:Query': ['PASSKEYS#'],
      'dynamodb:UpdateItem': ['FAMILY#', 'LOGIN#', 'PATIENT#', 'SESSIONS#'],
      'dynamodb:DeleteItem': ['LOGIN#'],
      'dynamodb:PutItem': ['OUTBOX#'],
      'dynamodb:ConditionCheckItem': ['SESSIONS#'],
    }],
    // The sliding window of its codes reads its hits (RATE#) before its conditional Update.
    ['PhoneVerification', {
      'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'RATE#'],
      'dynamodb:UpdateItem': ['RATE#'],
      'dynamodb:PutItem': ['OUTBOX#', 'PHONECODE#'],
    }],
    ['PhoneVerify', {
      'dynamodb:GetItem': ['FAMILY#', 'PATIENT#', 'PHONECODE#'],
      'dynamodb:UpdateItem': ['PATIENT#', 'PHONECODE#'],
      'dynamodb:DeleteItem': ['PHONECODE#'],
    }],
    // Texting reads nothing: a code's SMS carries its text in the outbox item. A phone claim request
    // (issue 19 item 4) reads the number's holder, spends a text of the day's budgets and stores the claim code.
    ['OutboxMailer', {
      'dynamodb:GetItem': ['EMAIL#', 'PATIENT#', 'PHONE#'],
      'dynamodb:UpdateItem': ['OUTBOX#', 'PATIENT#', 'RATE#'],
      'dynamodb:PutItem': ['OUTBOX#', 'PHONECLAIM#', 'RESET#', 'VERIFY#'],
    }],
  ])('%s: table items are exactly what its adapters send', (fn, expected) => {
    expect(tableItemsOf(fn)).toEqual(expected);
  });

  it('only me, me-update and me-export (the patient\'s own record) may decrypt patient data: every other kms:Decrypt is a table or queue key through its service, or the token key unwrap', () => {
    const decrypting = allStatements().filter(({ s }) => asArray(s.Action).includes('kms:Decrypt')).filter(({ s }) => s.Sid !== 'AccessTokenKeyUnwrap');
    const phi = decrypting.filter(({ s }) => /PatientDataKey/.test(target(s)) && s.Sid !== 'AuthenticatorSecretDecrypt');
    expect(phi.map(({ fn, s }) => [fn, s.Sid, asArray(s.Action), s.Condition]).sort()).toEqual([
      ['Me', 'PatientDataKeyDecryptPhi', ['kms:Decrypt'], { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } }],
      ['MeExport', 'PatientDataKeyDecryptPhi', ['kms:Decrypt'], { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } }],
      ['MeUpdate', 'PatientDataKeyDecryptPhi', ['kms:Decrypt'], { StringEquals: { 'kms:EncryptionContext:purpose': 'patient-phi' } }],
    ]);
    // Authenticator secrets (issue 21): the same key under their own purpose, never the PHI's.
    const secrets = decrypting.filter(({ s }) => s.Sid === 'AuthenticatorSecretDecrypt');
    expect(secrets.map(({ fn, s }) => [fn, asArray(s.Action), s.Condition])).toEqual(['LoginMfa', 'MeTotpConfirm', 'MeTotpRemove'].map((fn) =>
      [fn, ['kms:Decrypt'], { StringEquals: { 'kms:EncryptionContext:purpose': 'authenticator-secret' } }]));
    for (const { fn, s } of decrypting.filter((d) => !phi.includes(d) && !secrets.includes(d))) {
      expect(s.Condition?.StringEquals?.['kms:ViaService'], `${fn} ${s.Sid}`).toMatch(/^(dynamodb|sqs)\.us-east-1\.amazonaws\.com$/);
    }
    for (const fn of ALL_FUNCTIONS.filter((f) => f !== 'Me')) {
      const onPatientKey = policyOf(fn).filter((s) => /PatientDataKey/.test(target(s)) && s.Sid !== 'PatientDataKeyDecryptPhi' && s.Sid !== 'AuthenticatorSecretDecrypt');
      for (const s of onPatientKey) expect(asArray(s.Action), fn).toEqual(['kms:GenerateDataKey']);
    }
  });

  it('only the functions that issue tokens may unwrap the signing key (Decrypt, its purpose only); nothing signs in KMS', () => {
    const onWrappingKey = allStatements().filter(({ s }) => /AccessTokenKeysWrappingKey/.test(target(s)));
    expect(onWrappingKey.map(({ fn }) => fn).sort()).toEqual(['Login', 'LoginMfa', 'PasskeyLogin', 'TokenRefresh', 'VerifyEmail']);
    for (const { fn, s } of onWrappingKey) {
      expect(asArray(s.Action), fn).toEqual(['kms:Decrypt']);
      expect(s.Condition, fn).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': 'access-token-signing-key' } });
    }
    expect(allStatements().filter(({ s }) => asArray(s.Action).some((a) => a === 'kms:Sign' || a === 'kms:GetPublicKey'))).toEqual([]);
  });

  it('no role can change or delete the audit trail: PutItem only, for the sign-in, recovery, phone and record functions; only the export reads it (Query)', () => {
    const onAudit = allStatements().filter(({ s }) => /AuditTable/.test(target(s)));
    const writing = onAudit.filter(({ s }) => s.Sid === 'AuditTablePutItem');
    expect(writing.map(({ fn }) => fn).sort()).toEqual([
      'Login', 'LoginMfa', 'Logout', 'Me', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MeExport', 'MePhone', 'MePhoneVerify', 'MeSessionEnd', 'MeSessionsRevokeOthers', 'MeTotp', 'MeTotpConfirm', 'MeTotpRemove', 'MeUpdate', 'PasskeyEnrol', 'PasskeyLogin', 'PasskeyRemove', 'PasswordChange', 'PasswordReset', 'PhoneVerification', 'PhoneVerify', 'Register', 'TokenRefresh', 'VerifyEmail',
    ]);
    for (const { s } of writing) {
      expect(asArray(s.Action)).toEqual(['dynamodb:PutItem']);
      expect(s.Condition).toBeUndefined();
    }
    const reading = onAudit.filter((statement) => !writing.includes(statement));
    expect(reading.map(({ fn, s }) => [fn, s.Sid, asArray(s.Action)])).toEqual([['MeExport', 'AuditTableQuery', ['dynamodb:Query']]]);
  });

  it.each(['Health', 'Jwks', 'PasskeyEnrolPage', 'PasskeySignInPage'])('%s: no AWS permissions beyond its own logs and traces', (fn) => {
    expect(summaryOf(fn)).toEqual(BASELINE);
  });

  // Opening a link reads its state (issue 22 item 7): the token and its patient, GetItem only, and
  // the table key to read them with. No write, no KMS key of its own, no audit.
  it.each([
    ['VerifyEmailPage', 'VERIFY#'],
    ['PasswordResetPage', 'RESET#'],
    ['MeEmailConfirmPage', 'EMAILMOVE#'],
  ])('%s: GetItem on its link\'s token and the patient, and the table key; nothing else', (fn, token) => {
    expect(tableItemsOf(fn)).toEqual({ 'dynamodb:GetItem': ['PATIENT#', token].sort() });
    expect(summaryOf(fn)).toEqual({ ...BASELINE, ...tableKey });
  });

  it('password-forgot: besides its table items, identifier MACs only, like resend: no SES, no audit, no tokens', () => {
    expect(summaryOf('PasswordForgot')).toEqual({ ...BASELINE, ...tableKey, ...generateMac });
  });

  it('password-reset: besides its table items, IP MACs and the audit trail: no signing, no token keys, no SES, no patient data key', () => {
    expect(summaryOf('PasswordReset')).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...writeAudit });
  });

  it.each(['MeClose', 'MeEmail', 'MeEmailConfirm', 'MePhone', 'MePhoneVerify', 'PasswordChange', 'PhoneVerification', 'PhoneVerify'])(
    '%s: besides its table items, identifier MACs, token verification only (no Sign) and the audit trail',
    (fn) => {
      expect(summaryOf(fn)).toEqual({ ...BASELINE, ...tableKey, ...generateMac, ...verifyTokens, ...writeAudit });
    },
  );

  it('only the outbox mailer may send a text, only SendTextMessage, only from the stage origination identity', () => {
    const sms = allStatements().filter(({ s }) => asArray(s.Action).some((a) => a.startsWith('sms-voice:')));
    expect(sms.map(({ fn, s }) => [fn, s.Sid, asArray(s.Action), s.Resource, s.Condition])).toEqual([
      ['OutboxMailer', 'SendTextMessage', ['sms-voice:SendTextMessage'], dev.config.sms.originationIdentity, undefined],
    ]);
    expect(dev.config.sms.originationIdentity).toBe('arn:aws:sms-voice:us-east-1:123456789012:pool/pool-patient-registration-dev');
    // Nor may anything else reach SNS, the other way to text.
    expect(allStatements().filter(({ s }) => asArray(s.Action).some((a) => a.startsWith('sns:')))).toEqual([]);
  });

  it('only the outbox mailer may send email: every request leaves its mail in the outbox', () => {
    const ses = allStatements().filter(({ s }) => asArray(s.Action).some((a) => a.startsWith('ses:')));
    expect(ses.map(({ fn }) => fn)).toEqual(['OutboxMailer']);
  });

  it('resend-verification: besides its table items, identifier MACs only: no SES, no patient data', () => {
    expect(summaryOf('ResendVerification')).toEqual({
      ...BASELINE,
      ...tableKey,
      ...generateMac,
    });
  });

  it('outbox-mailer: besides its table items, Query on the outbox table\'s due index only, its stream, its dead-letter queue, SES', () => {
    expect(summaryOf('OutboxMailer')).toEqual({
      ...BASELINE,
      DueIndexQuery: { actions: ['dynamodb:Query'], on: 'due index' },
      OutboxTableStreamRead: {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        on: 'outbox table stream',
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
      SendTextMessage: { actions: ['sms-voice:SendTextMessage'], on: 'sms origination identity' },
      ...generateMac,
    });
  });

  it('has a policy for every function, and no function outside this list', () => {
    const policies = Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy')).map((p) =>
      String(p.Metadata?.['aws:cdk:path']).split('/')[1],
    );
    expect(policies.sort()).toEqual(ALL_FUNCTIONS);
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
