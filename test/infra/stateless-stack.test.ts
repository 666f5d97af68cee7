import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_RUNTIME } from '../../infra/constructs/service-function.js';
import { SDK_CALL_WORST_CASE_MS, SDK_MAX_ATTEMPTS, SDK_REQUEST_TIMEOUT_MS } from '../../lib/adapters/aws-clients.js';
import { ALL_API_ROUTES } from '../../lib/http/routes.js';
import {
  API_5XX_RATE_THRESHOLD,
  PASSWORD_RESET_SPIKE_THRESHOLD,
  SIGN_IN_FAILURE_SPIKE_THRESHOLD,
  SMS_SEND_FAILURE_THRESHOLD,
} from '../../infra/constructs/service-alarms.js';
import { OUTBOX_MAILER_CONCURRENCY } from '../../infra/config/stages.js';
import { asArray, logicalIdAt, onlyResource, resourcesOfType, removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

const API_FUNCTIONS = [
  'Register', 'VerifyEmail', 'VerifyEmailPage', 'ResendVerification', 'Login', 'TokenRefresh', 'Logout', 'Me', 'MeUpdate', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MeEmailConfirmPage', 'MePhone', 'MePhoneVerify', 'MeSessions', 'MeSessionEnd', 'MeSessionsRevokeOthers', 'PasskeyEnrolOptions', 'PasskeyEnrol', 'PasskeyList', 'PasskeyRemove', 'PasskeyLoginOptions', 'PasskeyLogin', 'PasskeyEnrolPage', 'PasskeySignInPage', 'LoginMfa', 'MeTotp', 'MeTotpConfirm', 'MeTotpRemove', 'MeExport', 'PasswordForgot', 'PasswordReset', 'PasswordResetPage', 'PasswordChange', 'PhoneVerification', 'PhoneVerify', 'PhoneClaim', 'Health', 'Jwks',
] as const;
const FUNCTIONS = [...API_FUNCTIONS, 'OutboxMailer'] as const;
/** The four tables the items are placed in (lib/adapters/dynamodb/placement.ts): each one's variable and construct id. */
const PLACED_TABLE_ENV = { TABLE_NAME: 'PatientTable', IDENTITY_TABLE_NAME: 'IdentityTable', TOKEN_TABLE_NAME: 'TokenTable', OUTBOX_TABLE_NAME: 'OutboxTable' };
/** API Gateway gives up on a Lambda integration after 29 s (the default and the REST API's usual ceiling). */
const API_GATEWAY_INTEGRATION_TIMEOUT_S = 29;
/** `verify-email-page` → `VerifyEmailPage`: the construct id addEndpoint gives a route's function. */
const constructIdOf = (functionName: string) => functionName.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase());

/** `METHOD /full/path` for every API Gateway method, following each resource's ParentId chain. */
function routeTable(stage: SynthesizedStage): Record<string, string> {
  const t = stage.statelessTemplate;
  const resources = resourcesOfType(t, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id ? resources[id] : undefined;
    if (!resource) return '';
    return `${pathOf(resource.Properties?.ParentId)}/${resource.Properties?.PathPart}`;
  };
  const routes: Record<string, string> = {};
  for (const method of Object.values(resourcesOfType(t, 'AWS::ApiGateway::Method'))) {
    const p = method.Properties!;
    // The CORS preflights: API Gateway's own mock answers (test/infra/cors.test.ts).
    if (p.HttpMethod === 'OPTIONS') continue;
    const target = JSON.stringify(p.Integration?.Uri).match(/"(\w+Function\w+)"/)?.[1] ?? '';
    routes[`${p.HttpMethod} ${pathOf(p.ResourceId)}`] = target;
  }
  return routes;
}

/** Every Ref / GetAtt / DependsOn edge between resources; CloudFormation rejects cycles at deploy time only. */
function findCycle(template: Record<string, any>): string[] | undefined {
  const resources: Record<string, any> = template.Resources;
  const edges = new Map<string, Set<string>>();
  const collect = (node: unknown, into: Set<string>): void => {
    if (Array.isArray(node)) node.forEach((n) => collect(n, into));
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'Ref' && typeof v === 'string' && v in resources) into.add(v);
        else if (k === 'Fn::GetAtt' && Array.isArray(v) && v[0] in resources) into.add(v[0]);
        else collect(v, into);
      }
    }
  };
  for (const [id, r] of Object.entries(resources)) {
    const deps = new Set<string>(asArray<string>(r.DependsOn));
    collect(r.Properties, deps);
    edges.set(id, deps);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...trail, id];
    state.set(id, 'visiting');
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...trail, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('stateless stack: API, functions, WAF, alarms', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  let functionProps: Record<(typeof FUNCTIONS)[number], Record<string, any>>;
  beforeAll(() => {
    dev = synthStage('dev');
    const t = dev.statelessTemplate;
    const all = resourcesOfType(t, 'AWS::Lambda::Function');
    functionProps = Object.fromEntries(
      FUNCTIONS.map((name) => [name, all[logicalIdAt(t, 'AWS::Lambda::Function', `${name}/Function`)]!.Properties!]),
    ) as typeof functionProps;
  }, 120_000);
  afterAll(removeSynthOutputs);

  it('keeps every function\'s managed policy under IAM\'s 6,144-character limit, ARNs at their deployed length', () => {
    // Synth does not check it and a deploy fails on it: each table grant per table adds statements
    // (issue 23). Cross-stack references stand for ARNs as long as prod's (stack, table and key names).
    const arn = 'arn:aws:dynamodb:us-east-1:123456789012:table/PatientRegistration-prod-Stateful-IdentityTable1A2B3C4D-1A2B3C4D5E6F7';
    const resolved = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(resolved);
      if (value && typeof value === 'object') {
        const keys = Object.keys(value);
        if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return arn;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v)]));
      }
      return value;
    };
    const sizes = Object.entries(resourcesOfType(dev.statelessTemplate, 'AWS::IAM::ManagedPolicy'))
      .map(([id, policy]) => [id, JSON.stringify(resolved(policy.Properties!.PolicyDocument)).length] as const);
    expect(sizes.length).toBeGreaterThan(FUNCTIONS.length - 1);
    expect(sizes.filter(([, size]) => size > 6_144)).toEqual([]);
  });

  it('routes the API paths to their functions, without an authorizer', () => {
    expect(routeTable(dev)).toEqual({
      'POST /api/v1/patient/register': expect.stringMatching(/^RegisterFunction/),
      'POST /api/v1/patient/verify-email': expect.stringMatching(/^VerifyEmailFunction/),
      'GET /api/v1/patient/verify-email': expect.stringMatching(/^VerifyEmailPageFunction/),
      'POST /api/v1/patient/resend-verification': expect.stringMatching(/^ResendVerificationFunction/),
      'POST /api/v1/patient/login': expect.stringMatching(/^LoginFunction/),
      'POST /api/v1/patient/login/mfa': expect.stringMatching(/^LoginMfaFunction/),
      'POST /api/v1/patient/me/totp': expect.stringMatching(/^MeTotpFunction/),
      'POST /api/v1/patient/me/totp/confirm': expect.stringMatching(/^MeTotpConfirmFunction/),
      'DELETE /api/v1/patient/me/totp': expect.stringMatching(/^MeTotpRemoveFunction/),
      'POST /api/v1/patient/token/refresh': expect.stringMatching(/^TokenRefreshFunction/),
      'POST /api/v1/patient/logout': expect.stringMatching(/^LogoutFunction/),
      'GET /api/v1/patient/me': expect.stringMatching(/^MeFunction/),
      'PATCH /api/v1/patient/me': expect.stringMatching(/^MeUpdateFunction/),
      'POST /api/v1/patient/me/close': expect.stringMatching(/^MeCloseFunction/),
      'POST /api/v1/patient/me/email': expect.stringMatching(/^MeEmailFunction/),
      'POST /api/v1/patient/me/email/confirm': expect.stringMatching(/^MeEmailConfirmFunction/),
      'GET /api/v1/patient/me/email/confirm': expect.stringMatching(/^MeEmailConfirmPageFunction/),
      'POST /api/v1/patient/me/phone': expect.stringMatching(/^MePhoneFunction/),
      'POST /api/v1/patient/me/phone/verify': expect.stringMatching(/^MePhoneVerifyFunction/),
      'GET /api/v1/patient/me/sessions': expect.stringMatching(/^MeSessionsFunction/),
      'DELETE /api/v1/patient/me/sessions/{id}': expect.stringMatching(/^MeSessionEndFunction/),
      'POST /api/v1/patient/me/sessions/revoke-others': expect.stringMatching(/^MeSessionsRevokeOthersFunction/),
      'GET /api/v1/patient/me/export': expect.stringMatching(/^MeExportFunction/),
      'POST /api/v1/patient/me/passkeys/options': expect.stringMatching(/^PasskeyEnrolOptionsFunction/),
      'POST /api/v1/patient/me/passkeys': expect.stringMatching(/^PasskeyEnrolFunction/),
      'GET /api/v1/patient/me/passkeys': expect.stringMatching(/^PasskeyListFunction/),
      'DELETE /api/v1/patient/me/passkeys/{id}': expect.stringMatching(/^PasskeyRemoveFunction/),
      'POST /api/v1/patient/login/passkey/options': expect.stringMatching(/^PasskeyLoginOptionsFunction/),
      'POST /api/v1/patient/login/passkey': expect.stringMatching(/^PasskeyLoginFunction/),
      'GET /api/v1/patient/passkeys/enrol': expect.stringMatching(/^PasskeyEnrolPageFunction/),
      'GET /api/v1/patient/passkeys/sign-in': expect.stringMatching(/^PasskeySignInPageFunction/),
      'POST /api/v1/patient/password/forgot': expect.stringMatching(/^PasswordForgotFunction/),
      'POST /api/v1/patient/password/reset': expect.stringMatching(/^PasswordResetFunction/),
      'GET /api/v1/patient/password/reset': expect.stringMatching(/^PasswordResetPageFunction/),
      'POST /api/v1/patient/password/change': expect.stringMatching(/^PasswordChangeFunction/),
      'POST /api/v1/patient/phone/verification': expect.stringMatching(/^PhoneVerificationFunction/),
      'POST /api/v1/patient/phone/verify': expect.stringMatching(/^PhoneVerifyFunction/),
      'POST /api/v1/patient/phone-claim': expect.stringMatching(/^PhoneClaimFunction/),
      'GET /api/v1/health': expect.stringMatching(/^HealthFunction/),
      'GET /.well-known/jwks.json': expect.stringMatching(/^JwksFunction/),
    });
    // Exactly the route table the local server runs (lib/http/routes.ts): nothing more, nothing less.
    expect(routeTable(dev)).toEqual(Object.fromEntries(ALL_API_ROUTES.map((r) => [
      `${r.method} ${r.path}`, expect.stringMatching(new RegExp(`^${constructIdOf(r.functionName)}Function`)),
    ])));
    for (const method of Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Method')).filter((m) => m.Properties?.HttpMethod !== 'OPTIONS')) {
      expect(method.Properties?.AuthorizationType).toBe('NONE');
      expect(method.Properties?.Integration?.Type).toBe('AWS_PROXY');
    }
  });

  it("gives each API function its route's timeout: past one SDK call's worst case, under API Gateway's 29 s", () => {
    // Attempts × request timeout, plus the longest back-offs between them (9 s today).
    expect(SDK_CALL_WORST_CASE_MS).toBeGreaterThan(SDK_MAX_ATTEMPTS * SDK_REQUEST_TIMEOUT_MS);
    for (const route of ALL_API_ROUTES) {
      const timeout = functionProps[constructIdOf(route.functionName) as (typeof API_FUNCTIONS)[number]].Timeout;
      expect(timeout, route.functionName).toBe(route.timeoutSeconds);
      expect(timeout * 1000, route.functionName).toBeGreaterThan(SDK_CALL_WORST_CASE_MS);
      expect(timeout, route.functionName).toBeLessThan(API_GATEWAY_INTEGRATION_TIMEOUT_S);
    }
    expect(ALL_API_ROUTES.map((r) => constructIdOf(r.functionName)).sort()).toEqual([...API_FUNCTIONS].sort());
  });

  it('hands every request body to the functions as raw bytes (base64), so they can refuse bytes that are not UTF-8', () => {
    dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });

  it('uses the newest Node.js runtime aws-cdk-lib offers, on arm64, for every function', () => {
    const nodeMajor = (r: Runtime) => Number(/^nodejs(\d+)\.x$/.exec(r.name)?.[1] ?? 0);
    const newest = Math.max(...Runtime.ALL.map(nodeMajor));
    expect(nodeMajor(FUNCTION_RUNTIME)).toBe(newest);
    for (const name of FUNCTIONS) {
      expect(functionProps[name].Runtime).toBe(FUNCTION_RUNTIME.name);
      expect(functionProps[name].Architectures).toEqual(['arm64']);
      expect(functionProps[name].TracingConfig).toEqual({ Mode: 'Active' });
      expect(functionProps[name].Handler).toBe('index.handler');
    }
  });

  it('sizes the bcrypt functions (register, login, verify-email, password reset and change, account close) alike and gives every function its stage reserved concurrency; the mailer stays at 2', () => {
    const bcrypt = ['Register', 'Login', 'VerifyEmail', 'PasswordReset', 'PasswordChange', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MePhone'] as const;
    for (const name of bcrypt) expect(functionProps[name].MemorySize, name).toBe(1024);
    for (const name of FUNCTIONS.filter((f) => !(bcrypt as readonly string[]).includes(f))) {
      expect(functionProps[name].MemorySize, name).toBe(256);
    }
    expect(functionProps.Register.ReservedConcurrentExecutions).toBe(dev.config.reservedConcurrency.register);
    expect(functionProps.Login.ReservedConcurrentExecutions).toBe(dev.config.reservedConcurrency.login);
    for (const name of API_FUNCTIONS.filter((f) => f !== 'Register' && f !== 'Login')) {
      expect(functionProps[name].ReservedConcurrentExecutions).toBe(dev.config.reservedConcurrency.default);
    }
    expect(functionProps.OutboxMailer.ReservedConcurrentExecutions).toBe(OUTBOX_MAILER_CONCURRENCY);
    expect(OUTBOX_MAILER_CONCURRENCY).toBe(2);
  });

  it('passes each function exactly the environment lib/config.ts requires of it', () => {
    const DEFAULTS = ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME'];
    // lib/config.ts reads every table name for every function (test/infra/function-config.test.ts): the
    // four the items are placed in (lib/adapters/dynamodb/placement.ts) and the audit table; and the
    // outbox index's shard count with them: every writer of an outbox item and the sweep must agree.
    const tables = [...Object.keys(PLACED_TABLE_ENV), 'AUDIT_TABLE_NAME', 'OUTBOX_SHARDS'];
    // Everything that renders a page or a mail carries the service's name.
    const named = ['SERVICE_NAME'];
    const mail = [...tables, ...named, 'MAIL_FROM', 'VERIFY_URL_BASE'];
    const identifiers = ['IDENTIFIER_KEY_ID', 'IDENTIFIER_KEY_VERSIONS'];
    // Everything that verifies a token: the published public keys, the stage's issuer and audience.
    const tokens = ['ACCESS_TOKEN_PUBLIC_KEYS', 'TOKEN_ISSUER', 'TOKEN_AUDIENCE'];
    // Everything that issues, verifies or audits a session.
    const session = [...tables, ...identifiers, ...tokens];
    // Issuing a token: the current private key, wrapped, and the KMS key that unwraps it.
    const signing = [...session, 'ACCESS_TOKEN_SIGNING_KEY', 'ACCESS_TOKEN_WRAPPING_KEY_ID'];
    const webAuthn = ['RP_ID', 'WEBAUTHN_ORIGIN', ...named];
    const expected: Record<(typeof FUNCTIONS)[number], string[]> = {
      Register: [...mail, ...identifiers, 'KMS_KEY_ID', 'BCRYPT_ROUNDS', 'UNVERIFIED_LAPSE_DAYS'],
      // Checks the password, then signs the patient in.
      VerifyEmail: [...signing, 'BCRYPT_ROUNDS', ...named],
      // A passkey holder's mfa_required carries request options for their own passkeys (issue 21): the RP id.
      Login: [...signing, 'BCRYPT_ROUNDS', ...webAuthn],
      TokenRefresh: signing,
      Logout: session,
      // Decrypts (with the patient-data key) for the patient's own eyes; REQUIRE_MFA, the stage's choice (issue 21).
      Me: [...session, 'KMS_KEY_ID', 'REQUIRE_MFA'],
      // Decrypts what it corrects and re-encrypts with a fresh data key.
      MeUpdate: [...session, 'KMS_KEY_ID', 'REQUIRE_MFA'],
      // The second step of a sign-in: decrypts the authenticator secret (its own purpose), or checks a
      // passkey's assertion against the stage's RP id and origin; signs the patient in.
      LoginMfa: [...signing, 'KMS_KEY_ID', ...webAuthn],
      // A new authenticator secret (a data key) and its otpauth:// URI, whose issuer is the service's name.
      MeTotp: [...session, 'KMS_KEY_ID', ...named],
      MeTotpConfirm: [...session, 'KMS_KEY_ID'],
      MeTotpRemove: [...session, 'KMS_KEY_ID'],
      // Bearer: verifies the access token; compares the password (no hash written, no patient data read).
      MeClose: [...session, 'BCRYPT_ROUNDS'],
      // The close's password check; the link it writes points at the link's page.
      MeEmail: [...session, 'BCRYPT_ROUNDS', 'EMAIL_MOVE_URL_BASE'],
      // Bearer JSON, or the page's form with the password (its answer is the page).
      MeEmailConfirm: [...session, 'BCRYPT_ROUNDS', ...named],
      MeEmailConfirmPage: [...tables, ...named],
      // The close's password check, then phone verification's code and budgets.
      MePhone: [...session, 'BCRYPT_ROUNDS', 'SMS_DAILY_BUDGET', 'SMS_COUNTRY_DAILY_BUDGET', 'SMS_COUNTRY_BUDGETS', 'SMS_BUDGET_SHARDS'],
      MePhoneVerify: session,
      // The patient's sessions: no patient data, so no data key.
      MeSessions: session,
      MeSessionEnd: session,
      MeSessionsRevokeOthers: session,
      // Decrypts the record for the patient's own copy (the right of access).
      MeExport: [...session, 'KMS_KEY_ID', 'REQUIRE_MFA'],
      // Reads the link's state from the table.
      VerifyEmailPage: [...tables, ...named],
      // The request is only counted and queued: no mail settings.
      ResendVerification: [...tables, ...identifiers, ...named],
      // Counted and queued like resend (issue 19 item 4); the outbox texts the claim code.
      PhoneClaim: [...tables, ...identifiers, ...named],
      // Also issues reset links and texts the phone codes: where from (no configuration set in dev), and
      // within the day's text budgets (phone claim codes, issue 19 item 4).
      OutboxMailer: [...mail, ...identifiers, 'RESET_URL_BASE', 'SMS_ORIGINATION_IDENTITY', 'SMS_DAILY_BUDGET', 'SMS_COUNTRY_DAILY_BUDGET', 'SMS_COUNTRY_BUDGETS', 'SMS_BUDGET_SHARDS'],
      // Counted and queued like resend; the outbox issues the link.
      PasswordForgot: [...tables, ...identifiers, ...named],
      // Hashes the new password and audits; signs no one in, so no token settings.
      PasswordReset: [...tables, ...identifiers, 'BCRYPT_ROUNDS', ...named],
      PasswordResetPage: [...tables, ...named],
      // Reads no configuration at all.
      Health: [],
      // The public keys only (and the table names lib/config.ts reads for every function).
      Jwks: [...tables, ...tokens],
      // Bearer: verifies the access token; compares and hashes.
      PasswordChange: [...session, 'BCRYPT_ROUNDS'],
      // Texts codes: the day's text budgets (issue 19 item 16).
      PhoneVerification: [...session, 'SMS_DAILY_BUDGET', 'SMS_COUNTRY_DAILY_BUDGET', 'SMS_COUNTRY_BUDGETS', 'SMS_BUDGET_SHARDS'],
      PhoneVerify: session,
      // Passkeys (issue 21): the stage's RP id and origin, and the name browsers show, where a ceremony is prepared or checked.
      PasskeyEnrolOptions: [...session, ...webAuthn],
      PasskeyEnrol: [...session, ...webAuthn],
      PasskeyList: session,
      PasskeyRemove: session,
      PasskeyLoginOptions: [...tables, ...webAuthn],
      PasskeyLogin: [...signing, ...webAuthn],
      // Static pages: the name on them, nothing else.
      PasskeyEnrolPage: named,
      PasskeySignInPage: named,
    };
    // dev allows one browser origin: every API function echoes it (lib/http/cors.ts); the mailer answers no browser.
    const cors = (name: string) => (name === 'OutboxMailer' ? [] : ['CORS_ALLOWED_ORIGINS']);
    for (const name of FUNCTIONS) {
      expect(Object.keys(functionProps[name].Environment.Variables).sort(), name).toEqual([...DEFAULTS, ...cors(name), ...expected[name]].sort());
    }
    const env = functionProps.Register.Environment.Variables;
    expect(env).toMatchObject({
      BCRYPT_ROUNDS: '12',
      MAIL_FROM: dev.config.mailFrom,
      NODE_OPTIONS: '--enable-source-maps',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'patient-registration',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    // No front-end URL in dev: the link points at the API's own GET page.
    expect(JSON.stringify(env.VERIFY_URL_BASE)).toMatch(/\/dev\/api\/v1\/patient\/verify-email"/);
    expect(functionProps.OutboxMailer.Environment.Variables.VERIFY_URL_BASE).toEqual(env.VERIFY_URL_BASE);
    expect(env.IDENTIFIER_KEY_VERSIONS).toBe('v1');
    for (const name of ['ResendVerification', 'OutboxMailer'] as const) {
      expect(functionProps[name].Environment.Variables.IDENTIFIER_KEY_ID, name).toEqual(env.IDENTIFIER_KEY_ID);
    }
    expect(env.UNVERIFIED_LAPSE_DAYS).toBe('7');
    // The reset link points at the API's own GET page in dev.
    const resetUrlBase = functionProps.OutboxMailer.Environment.Variables.RESET_URL_BASE;
    expect(JSON.stringify(resetUrlBase)).toMatch(/\/dev\/api\/v1\/patient\/password\/reset"/);
    expect(functionProps.OutboxMailer.Environment.Variables.SMS_ORIGINATION_IDENTITY).toBe(dev.config.sms.originationIdentity);
    expect(functionProps.PasswordReset.Environment.Variables.BCRYPT_ROUNDS).toBe('12');
    expect(functionProps.PasswordChange.Environment.Variables.BCRYPT_ROUNDS).toBe('12');
    for (const name of ['Register', 'OutboxMailer', 'VerifyEmail', 'VerifyEmailPage', 'ResendVerification', 'PasswordForgot', 'PasswordReset', 'PasswordResetPage'] as const) {
      expect(functionProps[name].Environment.Variables.SERVICE_NAME, name).toBe('Patient Registration (dev)');
    }
  });

  it('gives every function that reads a table the names of all four tables the items are placed in, each naming its own table', () => {
    const withTables = FUNCTIONS.filter((name) => 'TABLE_NAME' in functionProps[name].Environment.Variables);
    // All but the three that read no table (and so no configuration of tables).
    expect(FUNCTIONS.filter((name) => !withTables.includes(name)).sort()).toEqual(['Health', 'PasskeyEnrolPage', 'PasskeySignInPage']);
    for (const name of withTables) {
      const env = functionProps[name].Environment.Variables;
      for (const [variable, construct] of Object.entries(PLACED_TABLE_ENV)) {
        expect(env[variable], `${name} ${variable}`).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(new RegExp(`^PublishOutputRef${construct}[0-9A-F]{8}`)) }) });
      }
    }
  });

  it('gives the session functions the stage issuer and audience, the published keys and the audit table, all alike; the wrapped signing key only to the five that sign', () => {
    const sessionFunctions = [
      'Login', 'VerifyEmail', 'TokenRefresh', 'Logout', 'Me', 'MeUpdate', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MePhone', 'MePhoneVerify', 'MeSessions', 'MeSessionEnd', 'MeSessionsRevokeOthers', 'MeExport', 'PasswordChange', 'PhoneVerification', 'PhoneVerify', 'LoginMfa', 'MeTotp', 'MeTotpConfirm', 'MeTotpRemove', 'PasskeyEnrolOptions', 'PasskeyEnrol', 'PasskeyList', 'PasskeyRemove', 'PasskeyLogin',
    ] as const;
    const signing = ['Login', 'VerifyEmail', 'TokenRefresh', 'LoginMfa', 'PasskeyLogin'];
    const login = functionProps.Login.Environment.Variables;
    expect(login).toMatchObject({
      TOKEN_ISSUER: 'https://dev.patients.example.com/',
      TOKEN_AUDIENCE: 'patient-registration-dev',
      BCRYPT_ROUNDS: '12',
      ACCESS_TOKEN_SIGNING_KEY: { 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/KeyPairV1\w*WrappedKey/) }) },
      ACCESS_TOKEN_WRAPPING_KEY_ID: { 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/AccessTokenKeysWrappingKey\w*Arn/) }) },
      AUDIT_TABLE_NAME: { 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/AuditTable/) }) },
    });
    // A JWKS around the generated public key: {"keys":[<PublicJwk of v1>]}.
    expect(JSON.stringify(login.ACCESS_TOKEN_PUBLIC_KEYS)).toMatch(/\{\\"keys\\":\[.*KeyPairV1\w*PublicJwk.*\]\}/);
    for (const name of sessionFunctions) {
      const env = functionProps[name].Environment.Variables;
      for (const key of ['TOKEN_ISSUER', 'TOKEN_AUDIENCE', 'ACCESS_TOKEN_PUBLIC_KEYS', 'AUDIT_TABLE_NAME', ...Object.keys(PLACED_TABLE_ENV), 'IDENTIFIER_KEY_ID']) {
        expect(env[key], `${name} ${key}`).toEqual(login[key]);
      }
      for (const key of ['ACCESS_TOKEN_SIGNING_KEY', 'ACCESS_TOKEN_WRAPPING_KEY_ID']) {
        expect(env[key], `${name} ${key}`).toEqual(signing.includes(name) ? login[key] : undefined);
      }
    }
    expect(functionProps.Jwks.Environment.Variables.ACCESS_TOKEN_PUBLIC_KEYS).toEqual(login.ACCESS_TOKEN_PUBLIC_KEYS);
    expect(functionProps.Jwks.Environment.Variables.ACCESS_TOKEN_SIGNING_KEY).toBeUndefined();
    expect(JSON.stringify(functionProps.Me.Environment.Variables.KMS_KEY_ID)).toMatch(/PatientDataKey/);
  });

  it('logs every function to its own KMS-encrypted log group with the stage retention', () => {
    const t = dev.statelessTemplate;
    const groups = resourcesOfType(t, 'AWS::Logs::LogGroup');
    for (const name of FUNCTIONS) {
      const groupId = functionProps[name].LoggingConfig.LogGroup.Ref;
      expect(groups[groupId]?.Properties).toMatchObject({ RetentionInDays: 7, KmsKeyId: expect.anything() });
    }
    // Lambda, API access, API execution and WAF logs: all encrypted, all with retention.
    expect(Object.keys(groups)).toHaveLength(FUNCTIONS.length + 3);
    for (const group of Object.values(groups)) {
      expect(group.Properties).toMatchObject({ RetentionInDays: 7, KmsKeyId: expect.anything() });
    }
  });

  it('throttles the stage, logs access as JSON without bodies or query strings, and never traces data', () => {
    const [, stage] = onlyResource(dev.statelessTemplate, 'AWS::ApiGateway::Stage');
    const props = stage.Properties!;
    expect(props.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        DataTraceEnabled: false,
        LoggingLevel: 'ERROR',
        ThrottlingRateLimit: dev.config.apiThrottle.rateLimit,
        ThrottlingBurstLimit: dev.config.apiThrottle.burstLimit,
      }),
    ]);
    expect(props.TracingEnabled).toBe(true);
    const format = JSON.parse(props.AccessLogSetting.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(props.AccessLogSetting.Format).not.toMatch(/body|querystring|\$input/i);
  });

  it('requires TLS 1.2 or newer on the execute-api endpoint', () => {
    dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', {
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_PQ_2025_09',
      EndpointAccessMode: 'STRICT',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('puts a WAF with a per-IP rate-based rule in front of the API stage', () => {
    const t = dev.statelessTemplate;
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'RateLimitPerIp',
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 429 }) } },
          Statement: {
            RateBasedStatement: {
              AggregateKeyType: 'IP',
              Limit: dev.config.wafRateLimitPerIp.limit,
              EvaluationWindowSec: dev.config.wafRateLimitPerIp.window.toSeconds(),
            },
          },
        }),
      ]),
    });
    const [stageId] = onlyResource(t, 'AWS::ApiGateway::Stage');
    const [, association] = onlyResource(t, 'AWS::WAFv2::WebACLAssociation');
    expect(JSON.stringify(association.Properties?.ResourceArn)).toContain(stageId);
    t.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: [{ QueryString: {} }] });
  });

  it('limits POSTs that check a credential or start a reset (login, verify-email, password forgot/reset/change, phone verify) per IP in one rule, tighter than the general rule, with a 429 in the service envelope', () => {
    const [, acl] = onlyResource(dev.statelessTemplate, 'AWS::WAFv2::WebACL');
    const rules: Record<string, any>[] = acl.Properties?.Rules;
    const general = rules.find((r) => r.Name === 'RateLimitPerIp')!;
    const signIn = rules.find((r) => r.Name === 'SignInRateLimitPerIp')!;
    const rate = signIn.Statement.RateBasedStatement;
    expect(rate).toMatchObject({ AggregateKeyType: 'IP', Limit: 20, EvaluationWindowSec: 300 });
    const [method, path] = rate.ScopeDownStatement.AndStatement.Statements;
    expect(method.ByteMatchStatement).toMatchObject({ FieldToMatch: { Method: {} }, PositionalConstraint: 'EXACTLY', SearchString: 'POST' });
    expect(path.RegexMatchStatement.FieldToMatch).toEqual({ UriPath: {} });
    expect(path.RegexMatchStatement.TextTransformations.map((t: { Type: string }) => t.Type)).toEqual(['URL_DECODE', 'NORMALIZE_PATH']);
    const matches = (uri: string) => new RegExp(path.RegexMatchStatement.RegexString).test(uri);
    for (const uri of [
      '/dev/api/v1/patient/login', '/api/v1/patient/login', '/dev/api/v1/patient/login/', '/dev/api/v1/patient/verify-email',
      '/dev/api/v1/patient/password/forgot', '/dev/api/v1/patient/password/reset', '/api/v1/patient/password/reset/',
      '/dev/api/v1/patient/password/change', '/dev/api/v1/patient/phone/verify', '/dev/api/v1/patient/me/close',
    ]) {
      expect(matches(uri), uri).toBe(true);
    }
    for (const uri of [
      '/dev/api/v1/patient/register', '/dev/api/v1/patient/loginx', '/dev/api/v1/patient/logout', '/x/dev/api/v1/patient/login',
      '/dev/api/v1/patient/me', '/dev/api/v1/patient/password/forgotten', '/dev/api/v1/patient/password', '/dev/api/v1/patient/phone/verification',
    ]) {
      expect(matches(uri), uri).toBe(false);
    }
    // One rule, so one budget across the routes: a guesser cannot spread over them for more tries.
    expect(rules.filter((r) => r.Statement.RateBasedStatement?.ScopeDownStatement)).toEqual([signIn]);
    // Both rate rules answer 429 in the envelope with the service headers and a Retry-After of their window.
    for (const rule of [general, signIn]) {
      const response = rule.Action.Block.CustomResponse;
      expect(response).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'RateLimited' });
      const headers = Object.fromEntries(response.ResponseHeaders.map((h: { Name: string; Value: string }) => [h.Name, h.Value]));
      expect(headers).toEqual({
        'X-Content-Type-Options': 'nosniff',
        'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
        'Cache-Control': 'no-store',
        'Retry-After': String(rule.Statement.RateBasedStatement.EvaluationWindowSec),
      });
    }
    expect(acl.Properties?.CustomResponseBodies.RateLimited.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(acl.Properties?.CustomResponseBodies.RateLimited.Content)).toEqual({
      success: false,
      message: 'Too many requests. Please try again later.',
    });
    expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
  });

  it('counts failed sign-ins (login, verify-email, the second step, passkey) and refresh-token reuse from the logs, and alarms on them', () => {
    const t = dev.statelessTemplate;
    const filters = Object.values(resourcesOfType(t, 'AWS::Logs::MetricFilter')).map((f) => f.Properties!);
    const logGroupOf = (fn: string) => functionProps[fn as (typeof FUNCTIONS)[number]].LoggingConfig.LogGroup;
    const byMetric = (name: string) =>
      filters.filter((f) => f.MetricTransformations[0].MetricName === name).map((f) => ({ group: f.LogGroupName, pattern: f.FilterPattern }));
    expect(byMetric('SignInFailures')).toEqual(['Login', 'VerifyEmail', 'LoginMfa', 'PasskeyLogin'].map((fn) => ({
      group: logGroupOf(fn), pattern: '{ $.message = "sign-in" && $.outcome = "failure" }',
    })));
    expect(byMetric('RefreshTokenReuse')).toEqual([{ group: logGroupOf('TokenRefresh'), pattern: '{ $.message = "refresh token reuse" }' }]);
    expect(byMetric('SmsSendFailures')).toEqual([{
      group: logGroupOf('OutboxMailer'),
      pattern: '{ $.kind = "phone_code_sms" && ($.level = "WARN" || $.level = "ERROR") }',
    }]);
    expect(byMetric('PasswordResets')).toEqual([{
      group: logGroupOf('PasswordReset'), pattern: '{ $.message = "password reset" && $.outcome = "reset" }',
    }]);
    // Issue 19 item 16: one metric and one alarm per text budget, from the functions that spend texts
    // (phone codes, a new number's codes (issue 20), and, issue 19 item 4, the mailer's phone claim codes).
    for (const budget of ['service', 'country']) {
      const pattern = `{ $.message = "sms budget exhausted" && $.budget = "${budget}" }`;
      expect(byMetric(budget === 'service' ? 'SmsBudgetServiceExhausted' : 'SmsBudgetCountryExhausted')).toEqual([
        { group: logGroupOf('PhoneVerification'), pattern }, { group: logGroupOf('MePhone'), pattern }, { group: logGroupOf('OutboxMailer'), pattern },
      ]);
    }
    // 4 sign-in failures + 1 reuse + 1 SMS send + 1 reset + 2 budgets × 3 functions: nothing else counted.
    expect(filters).toHaveLength(13);
    for (const f of filters) {
      expect(f.MetricTransformations[0]).toMatchObject({ MetricNamespace: 'patient-registration/dev', MetricValue: '1' });
      expect(f.MetricTransformations[0].Dimensions).toBeUndefined();
    }
    const alarms = Object.values(resourcesOfType(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
    const alarmOn = (metric: string) => alarms.filter((a) => a.MetricName === metric);
    expect(alarmOn('SignInFailures')).toEqual([expect.objectContaining({
      Namespace: 'patient-registration/dev', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1,
      Threshold: SIGN_IN_FAILURE_SPIKE_THRESHOLD, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    })]);
    expect(SIGN_IN_FAILURE_SPIKE_THRESHOLD).toBe(50);
    expect(alarmOn('RefreshTokenReuse')).toEqual([expect.objectContaining({
      Namespace: 'patient-registration/dev', Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    })]);
    expect(alarmOn('SmsSendFailures')).toEqual([expect.objectContaining({
      Namespace: 'patient-registration/dev', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1,
      Threshold: SMS_SEND_FAILURE_THRESHOLD, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    })]);
    expect(SMS_SEND_FAILURE_THRESHOLD).toBe(5);
    expect(alarmOn('PasswordResets')).toEqual([expect.objectContaining({
      Namespace: 'patient-registration/dev', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1,
      Threshold: PASSWORD_RESET_SPIKE_THRESHOLD, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    })]);
    // At the per-IP WAF credential budget: one address alone cannot raise it.
    expect(PASSWORD_RESET_SPIKE_THRESHOLD).toBe(dev.config.wafSignInRateLimitPerIp.limit);
    for (const metric of ['SmsBudgetServiceExhausted', 'SmsBudgetCountryExhausted']) {
      expect(alarmOn(metric)).toEqual([expect.objectContaining({
        Namespace: 'patient-registration/dev', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
      })]);
    }
  });

  it('alarms on API 5xx rate, each function errors and throttles, table system errors and a non-empty DLQ, to an encrypted SSL-only topic', () => {
    const t = dev.statelessTemplate;
    const [topicId, topic] = onlyResource(t, 'AWS::SNS::Topic');
    expect(topic.Properties?.KmsMasterKeyId).toBeDefined();
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const alarms = Object.values(resourcesOfType(t, 'AWS::CloudWatch::Alarm'));
    // The API, each function's errors and throttles, the four tables' system errors and throttled requests, the DLQ, four log metrics, the two text budgets (issue 19 item 16).
    expect(alarms).toHaveLength(1 + FUNCTIONS.length * 2 + 4 * 2 + 1 + 4 + 2);
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
    const metricNames = alarms.map((a) => a.Properties?.MetricName ?? 'math-expression').sort();
    expect(metricNames).toEqual(
      ['5XXError', 'ApproximateNumberOfMessagesVisible', ...FUNCTIONS.flatMap(() => ['Errors', 'Throttles']), ...Object.values(PLACED_TABLE_ENV).flatMap(() => ['math-expression', 'math-expression']),
        'SignInFailures', 'RefreshTokenReuse', 'SmsSendFailures', 'PasswordResets', 'SmsBudgetServiceExhausted', 'SmsBudgetCountryExhausted'].sort(),
    );
    const errorAlarmFunctions = alarms
      .filter((a) => a.Properties?.MetricName === 'Errors')
      .map((a) => a.Properties?.Dimensions[0].Value.Ref as string);
    expect(errorAlarmFunctions.some((ref) => ref.startsWith('OutboxMailerFunction'))).toBe(true);
    const dlqAlarm = alarms.find((a) => a.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible')!;
    expect(dlqAlarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^OutboxMailerDeadLetterQueue/), 'QueueName'] } }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Statistic: 'Average', Threshold: API_5XX_RATE_THRESHOLD });
    // System errors and throttled requests (its quota met) on each of the four tables the items are placed in.
    const tableAlarms = alarms.filter((a) => a.Properties?.Metrics);
    for (const construct of Object.values(PLACED_TABLE_ENV)) {
      const onTable = tableAlarms.filter((a) => new RegExp(`OutputRef${construct}[0-9A-F]{8}`).test(JSON.stringify(a.Properties?.Metrics)));
      expect(onTable, construct).toHaveLength(2);
      expect(onTable.map((a) => (JSON.stringify(a.Properties?.Metrics).match(/SystemErrors|ThrottledRequests/) ?? [''])[0]).sort(), construct).toEqual(['SystemErrors', 'ThrottledRequests']);
    }
  });

  it('creates the SES identity for the stage sender and outputs the API URL, the reset link base and the SMS settings', () => {
    dev.statelessTemplate.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: dev.config.mailFrom });
    dev.statelessTemplate.hasOutput('ApiUrl', {});
    dev.statelessTemplate.hasOutput('ResetUrlBase', {});
    dev.statelessTemplate.hasOutput('SmsOriginationIdentity', { Value: dev.config.sms.originationIdentity });
    dev.statelessTemplate.hasOutput('SmsSandbox', { Value: 'true', Description: Match.stringLikeRegexp('verified') });
  });

  it('answers what API Gateway answers itself in the service envelope, with the service headers', () => {
    const responses = Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties!);
    const byType = Object.fromEntries(
      responses.map((p) => [p.ResponseType, { status: p.StatusCode, body: JSON.parse(p.ResponseTemplates['application/json']) }]),
    );
    const answer = (status: string | undefined, message: string) => ({ status, body: { success: false, message } });
    expect(byType).toEqual({
      MISSING_AUTHENTICATION_TOKEN: answer('404', 'Not found'),
      THROTTLED: answer('429', 'Too many requests. Please try again later.'),
      WAF_FILTERED: answer('403', 'Forbidden'),
      REQUEST_TOO_LARGE: answer('413', 'Request body too large'),
      INTEGRATION_TIMEOUT: answer('504', 'The service did not answer in time. Please retry shortly.'),
      DEFAULT_4XX: answer(undefined, 'Bad request'),
      DEFAULT_5XX: answer(undefined, 'Internal server error'),
    });
    for (const p of responses) {
      expect(p.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Content-Type': "'application/json; charset=utf-8'",
        'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
        'gatewayresponse.header.Strict-Transport-Security': "'max-age=15552000; includeSubDomains'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
      });
      const retryAfter = p.ResponseParameters['gatewayresponse.header.Retry-After'];
      expect(retryAfter, p.ResponseType).toBe(['THROTTLED', 'INTEGRATION_TIMEOUT'].includes(p.ResponseType) ? "'5'" : undefined);
    }
    // A gateway response only takes effect after a deployment: the deployment must change with them.
    const [, deployment] = onlyResource(dev.statelessTemplate, 'AWS::ApiGateway::Deployment');
    expect(asArray<string>(deployment.DependsOn).filter((d) => d.includes('GatewayResponse'))).toHaveLength(responses.length);
  });

  it('triggers the outbox mailer from the outbox table\'s stream on new OUTBOX# items only, with bounded retries into the DLQ', () => {
    const [, mapping] = onlyResource(dev.statelessTemplate, 'AWS::Lambda::EventSourceMapping');
    const p = mapping.Properties!;
    expect(p.FunctionName).toEqual({ Ref: expect.stringMatching(/^OutboxMailerFunction/) });
    expect(JSON.stringify(p.EventSourceArn)).toMatch(/OutboxTable\w*StreamArn/);
    expect(p).toMatchObject({
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^OutboxMailerDeadLetterQueue/), 'Arn'] } } },
    });
    expect(p.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
      // On the key: a KEYS_ONLY stream has no NewImage, so a NewImage filter would drop every record.
      { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] } } } },
    ]);
  });

  it('sweeps the outbox every minute; failed sweeps are not retried (the next one redoes them) and end in the DLQ', () => {
    const [, rule] = onlyResource(dev.statelessTemplate, 'AWS::Events::Rule');
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rule.Properties?.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^OutboxMailerFunction/), 'Arn'] } }),
    ]);
    expect(functionProps.OutboxMailer.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^OutboxMailerDeadLetterQueue/), 'Arn'] },
    });
    const [, invokeConfig] = onlyResource(dev.statelessTemplate, 'AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 });
    // Only API Gateway (4 routes) and this rule may invoke functions.
    const principals = Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Permission')).map((x) => x.Properties?.Principal);
    expect(principals.sort()).toEqual([...API_FUNCTIONS.map(() => 'apigateway.amazonaws.com'), 'events.amazonaws.com'].sort());
    // Lambda API timeout stays under the 60 s send lease, so a run never outlives its claims.
    expect(functionProps.OutboxMailer.Timeout).toBeLessThan(60);
  });

  it('keeps the DLQ KMS-encrypted, SSL-only, for 14 days', () => {
    const [queueId, queue] = onlyResource(dev.statelessTemplate, 'AWS::SQS::Queue');
    expect(JSON.stringify(queue.Properties?.KmsMasterKeyId)).toMatch(/ObservabilityKey/);
    expect(queue.Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    dev.statelessTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has no dependency cycle (CloudFormation would reject it only at deploy time)', () => {
    expect(findCycle(dev.statelessTemplate.toJSON())).toBeUndefined();
    expect(findCycle(dev.statefulTemplate.toJSON())).toBeUndefined();
  });
});
