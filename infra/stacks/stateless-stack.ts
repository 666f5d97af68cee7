import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { smsBudgetEnvironment, type StageConfig } from '../config/stages.js';
import { tokenSignerRoleName, type AccessTokenKeyVersion } from '../constructs/access-token-keys.js';
import { ApiFirewall } from '../constructs/api-firewall.js';
import type { LogSettings } from '../constructs/encrypted-log-group.js';
import { authenticatorSecretKey,
  accessTokenKeyUnwrap,
  auditKeyViaDynamoDb,
  auditTableAppendOnly,
  auditTableQuery,
  dueIndexQuery,
  identifierKeyGenerateMac,
  patientDataKeyDecryptPhi,
  patientDataKeyGenerateOnly,
  patientTableItems,
  type PatientTables,
  queueKeyViaSqs,
  sendEmailFrom,
  sendTextMessageFrom,
  sendToDeadLetterQueue,
  tableKeyViaDynamoDb,
  tableStreamRead,
} from '../constructs/least-privilege.js';
import { PatientApi } from '../constructs/patient-api.js';
import { ServiceAlarms } from '../constructs/service-alarms.js';
import { ServiceFunction, SERVICE_NAME, type ServiceFunctionProps } from '../constructs/service-function.js';
import { mergeTableAccess, tableAccessFor } from '../constructs/table-access.js';
import { DEFAULT_FUNCTIONS_DIR } from '../paths.js';
import { CORS_ENV } from '../../lib/http/cors.js';
import { API_PATHS, API_ROUTES, type ApiRoute } from '../../lib/http/routes.js';
import { OUTBOX_STREAM_SOURCE } from '../../lib/outbox/stream-source.js';

/** Typed wiring from the stateful stack: nothing is looked up by name. */
export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  /** The table every item family placement.ts does not move lives in (lib/adapters/dynamodb/placement.ts). */
  readonly table: ITable;
  /** The tables the moved families live in; the outbox table carries the due index and the stream. */
  readonly identityTable: ITable;
  readonly tokenTable: ITable;
  readonly outboxTable: ITable;
  readonly tableKey: IKey;
  readonly patientDataKey: IKey;
  readonly identifierKey: IKey;
  readonly observabilityKey: IKey;
  /** The audit trail (append-only for every function) and its key. */
  readonly auditTable: ITable;
  readonly auditKey: IKey;
  /**
   * The access-token keys: each version's public JWK and wrapped private key (current first; the
   * others only verify while a rotation is under way), and the KMS key that unwraps them.
   */
  readonly accessTokenKeys: { readonly wrappingKey: IKey; readonly versions: readonly AccessTokenKeyVersion[] };
  /** Where `<name>/handler.ts` entries live. @default functions/ in the repo */
  readonly functionsDir?: string;
}

/** What the stateless stack takes from the stateful one: every table and key, by the same names. */
export type StatefulResources = Pick<StatelessStackProps,
  'table' | 'identityTable' | 'tokenTable' | 'outboxTable' | 'tableKey' | 'patientDataKey' | 'identifierKey' | 'observabilityKey' | 'auditTable' | 'auditKey' |
  'accessTokenKeys'>;

export function statefulResourcesOf(stateful: StatefulResources): StatefulResources {
  const {
    table, identityTable, tokenTable, outboxTable, tableKey, patientDataKey, identifierKey, observabilityKey, auditTable, auditKey, accessTokenKeys,
  } = stateful;
  return {
    table, identityTable, tokenTable, outboxTable, tableKey, patientDataKey, identifierKey, observabilityKey, auditTable, auditKey, accessTokenKeys,
  };
}

type EndpointProps = Pick<ServiceFunctionProps, 'memorySize' | 'environment' | 'roleName'>;

/**
 * The outbox mailer's issue-11 table calls: issuing a reset link on a forgot-password request; and
 * (issue 19 item 10) queuing a live link's mail again on its own, whose seed the patient lookup
 * already reads. A phone code's SMS carries its text in the outbox item, so texting reads nothing more.
 */
const TABLE_CALLS_OF_OUTBOX_MAILER = tableAccessFor(
  'patients.issueResetToken', 'outbox.enqueue',
  // A phone claim request (issue 19 item 4): the number's holder, the day's text budgets, the claim code and its SMS.
  'patients.findPhoneHolder', 'rateLimits.hit', 'phoneCodes.issueClaim',
);

/** bcrypt cost; the application refuses anything below 12 (lib/config.ts). */
export const BCRYPT_ROUNDS = 12;

/**
 * register memory: bcrypt cost 12 is ~290 ms of pure single-threaded CPU on one full
 * core. Lambda allocates CPU in proportion to memory (1,769 MB = 1 vCPU), so 1,024 MB
 * (~0.58 vCPU) hashes in ~0.5 s. Per-GB-second pricing makes CPU-bound time cost the same
 * at any size up to 1 vCPU, but the ~100-200 ms spent waiting on DynamoDB, KMS and SES is
 * billed at the full size: 1,024 MB is the cheaper point with acceptable latency.
 * Beyond 1,769 MB nothing gets faster (bcryptjs uses one thread).
 */
export const REGISTER_MEMORY_MB = 1024;
/**
 * Sign-in, email verification and the password change compare a bcrypt hash (and may hash a new
 * one); a reset hashes the new password: the register sizing.
 */
export const PASSWORD_CHECK_MEMORY_MB = REGISTER_MEMORY_MB;

/** API Gateway, Lambda functions, WAF, SES identity and alarms: everything that can be redeployed freely. */
export class StatelessStack extends Stack {
  readonly api: PatientApi;
  readonly alarms: ServiceAlarms;
  readonly functions: Record<string, ServiceFunction> = {};
  readonly outboxMailer: { fn: ServiceFunction; deadLetterQueue: Queue; schedule: Rule };
  private readonly config: StageConfig;
  private readonly logs: LogSettings;
  private readonly functionsDir: string;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, tableKey, patientDataKey, identifierKey } = props;
    const tables: PatientTables = { table: props.table, identityTable: props.identityTable, tokenTable: props.tokenTable, outboxTable: props.outboxTable };
    this.config = config;
    this.functionsDir = props.functionsDir ?? DEFAULT_FUNCTIONS_DIR;
    this.logs = {
      encryptionKey: props.observabilityKey,
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    };

    this.api = new PatientApi(this, 'Api', {
      stageName: config.stage, logs: this.logs, throttle: config.apiThrottle, corsAllowedOrigins: config.corsAllowedOrigins,
    });
    new ApiFirewall(this, 'Firewall', {
      name: `${SERVICE_NAME}-${config.stage}`,
      stageArn: this.api.restApi.deploymentStage.stageArn,
      ratePerIp: config.wafRateLimitPerIp,
      signInRatePerIp: config.wafSignInRateLimitPerIp,
      // Every POST that checks a credential (password, reset token, SMS code) or, on request, mails a
      // reset link: one per-IP budget across all of them, so a guesser cannot spread over routes.
      signInPaths: [
        API_ROUTES.login.path,
        API_ROUTES.verifyEmail.path,
        API_ROUTES.passwordForgot.path,
        API_ROUTES.passwordReset.path,
        API_ROUTES.passwordChange.path,
        API_ROUTES.meClose.path,
        API_ROUTES.meEmail.path,
        API_ROUTES.meEmailConfirm.path,
        API_ROUTES.mePhone.path,
        API_ROUTES.mePhoneVerify.path,
        API_ROUTES.phoneVerify.path,
        // Texts a code: one more way to spend texts and to probe numbers, under the same per-IP budget.
        API_ROUTES.phoneClaim.path,
        // Issue 21: authenticator codes and recovery codes are credentials too.
        API_ROUTES.loginMfa.path,
        API_ROUTES.meTotpConfirm.path,
        API_ROUTES.meTotp.path,
        // A passkey sign-in checks a credential too (a failure locks nothing, so the edge bounds it).
        API_ROUTES.passkeyLogin.path,
      ],
      logs: this.logs,
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', {
      topicKey: props.observabilityKey,
      alarmEmail: config.alarmEmail,
      logMetricsNamespace: `${SERVICE_NAME}/${config.stage}`,
    });
    this.alarms.watchApi(this.api.restApi);
    this.alarms.watchTable('PatientTable', tables.table);
    this.alarms.watchTable('IdentityTable', tables.identityTable);
    this.alarms.watchTable('TokenTable', tables.tokenTable);
    this.alarms.watchTable('OutboxTable', tables.outboxTable);

    const sender = new EmailIdentity(this, 'SenderIdentity', { identity: Identity.email(config.mailFrom) });
    const verifyUrlBase = config.verifyUrlBase ?? this.api.urlForPath(API_PATHS.verifyEmail);
    const resetUrlBase = config.resetUrlBase ?? this.api.urlForPath(API_PATHS.passwordReset);
    // The email-move link opens its page on the API itself (GET /me/email/confirm).
    const emailMoveUrlBase = this.api.urlForPath(API_PATHS.meEmailConfirm);
    // Each function gets only what lib/config.ts requires of it (loadConfig(env, needs)):
    // every table name always (lib/config.ts reads them for every function, whether it audits or not;
    // test/infra/function-config.test.ts loads each function's environment with the real config);
    // 'mail' adds MAIL_FROM and VERIFY_URL_BASE; 'reset-links' RESET_URL_BASE; 'sms' the origination
    // identity; 'encryption' adds KMS_KEY_ID; 'identifiers' adds IDENTIFIER_KEY_ID and its versions.
    // Values only: a key ARN or table name in the environment grants nothing.
    // OUTBOX_SHARDS with the table: every function that writes an outbox item, and the sweep, must agree on it.
    // The four tables the items are placed in (lib/adapters/dynamodb/placement.ts) go together: a
    // function's client moves each command to its item's table, whichever families its use case touches.
    const tableEnv = {
      TABLE_NAME: tables.table.tableName,
      IDENTITY_TABLE_NAME: tables.identityTable.tableName,
      TOKEN_TABLE_NAME: tables.tokenTable.tableName,
      OUTBOX_TABLE_NAME: tables.outboxTable.tableName,
      AUDIT_TABLE_NAME: props.auditTable.tableName,
      OUTBOX_SHARDS: String(config.outboxShards),
    };
    const identifierEnv = { IDENTIFIER_KEY_ID: identifierKey.keyArn, IDENTIFIER_KEY_VERSIONS: config.identifierKeyVersions.join(',') };
    // Only the outbox mailer builds reset links (it issues them on a forgot-password request).
    const resetEnv = { RESET_URL_BASE: resetUrlBase };
    // The name on every page and mail (and the mails' sender): the functions that render either.
    const serviceNameEnv = { SERVICE_NAME: config.serviceName };
    const mailEnv = { ...tableEnv, ...serviceNameEnv, MAIL_FROM: config.mailFrom, VERIFY_URL_BASE: verifyUrlBase };
    const sendMail = sendEmailFrom(sender.emailIdentityArn, config.mailFrom);
    // Texts (phone verification codes) leave through the outbox mailer only, from the stage's origination identity.
    const { sms } = config;
    const smsEnv = {
      SMS_ORIGINATION_IDENTITY: sms.originationIdentity,
      ...(sms.configurationSet !== undefined && { SMS_CONFIGURATION_SET: sms.configurationSet }),
    };
    const sendSms = sendTextMessageFrom(
      sms.originationIdentity,
      sms.configurationSet === undefined
        ? undefined
        : this.formatArn({ service: 'sms-voice', resource: 'configuration-set', resourceName: sms.configurationSet }),
    );
    const deriveIdentifierKeys = identifierKeyGenerateMac(identifierKey);
    const bcryptEnv = { BCRYPT_ROUNDS: String(BCRYPT_ROUNDS) };
    // Every function that reads a bearer token: the published public keys (a JWKS, current first) and the
    // stage's issuer and audience; verifying needs no AWS call. The functions that issue tokens also get
    // the current version's private key, wrapped (KMS ciphertext), and may Decrypt it under its purpose.
    const { accessTokenKeys } = props;
    const [currentKey] = accessTokenKeys.versions;
    if (!currentKey) throw new Error('no access-token key version');
    const tokenEnv = {
      ACCESS_TOKEN_PUBLIC_KEYS: Fn.join('', ['{"keys":[', Fn.join(',', accessTokenKeys.versions.map((v) => v.publicJwk)), ']}']),
      TOKEN_ISSUER: config.tokenIssuer,
      TOKEN_AUDIENCE: config.tokenAudience,
    };
    const sessionEnv = { ...tableEnv, ...identifierEnv, ...tokenEnv };
    const signingEnv = { ...sessionEnv, ACCESS_TOKEN_SIGNING_KEY: currentKey.wrappedKey, ACCESS_TOKEN_WRAPPING_KEY_ID: accessTokenKeys.wrappingKey.keyArn };
    const signTokens = [accessTokenKeyUnwrap(accessTokenKeys.wrappingKey)];
    const writeAudit = [auditTableAppendOnly(props.auditTable), auditKeyViaDynamoDb(props.auditKey)];

    const register = this.addEndpoint('Register', API_ROUTES.register, {
      memorySize: REGISTER_MEMORY_MB,
      environment: {
        ...mailEnv,
        ...identifierEnv,
        KMS_KEY_ID: patientDataKey.keyArn,
        ...bcryptEnv,
        UNVERIFIED_LAPSE_DAYS: String(config.unverifiedLapseDays),
      },
      whyPublic: 'Patient self-registration: the caller has no account or credential yet. The response returns no stored patient data.',
    });
    register.allow(
      ...patientTableItems(tables, mergeTableAccess({
        // Pre-check of the two reservations (lib/adapters/dynamodb/patient-repository.ts).
        'dynamodb:BatchGetItem': ['EMAIL#', 'PHONE#'],
        // Both taken and an Idempotency-Key sent: was it this key's own committed registration whose
        // answer was lost? Reservation → patient (findPatientByEmail, lib/patient/register-patient.ts).
        'dynamodb:GetItem': ['EMAIL#', 'PATIENT#'],
        // The registration transaction (patient, reservations, token, outbox mail) and the idempotency record.
        'dynamodb:PutItem': ['PATIENT#', 'EMAIL#', 'PHONE#', 'VERIFY#', 'OUTBOX#', 'IDEMPOTENCY#'],
        // Completing the idempotency record. (The mail is the outbox mailer's: no claim, no send here.)
        'dynamodb:UpdateItem': ['IDEMPOTENCY#'],
        // Freeing the idempotency key after a failed request.
        'dynamodb:DeleteItem': ['IDEMPOTENCY#'],
        // During an identifier-key rotation: no reservation of the address under an older key version.
        'dynamodb:ConditionCheckItem': ['EMAIL#', 'PHONE#'],
      },
      // With a phone claim code (issue 19 item 4): the number's holder, the code checked, the takeover in the registration's transaction.
      tableAccessFor('patients.findPhoneHolder', 'phoneCodes.attemptClaim', 'patients.createPatient.takeover'))),
      tableKeyViaDynamoDb(tableKey),
      patientDataKeyGenerateOnly(patientDataKey),
      deriveIdentifierKeys,
      // A takeover of a number is recorded in its former holder's trail (issue 19 item 4).
      ...writeAudit,
    );

    // Confirming the email proves the password too (pre-account hijacking), then signs the patient in.
    const verifyEmail = this.addEndpoint('VerifyEmail', API_ROUTES.verifyEmail, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...signingEnv, ...bcryptEnv, ...serviceNameEnv },
      roleName: tokenSignerRoleName(config.stage, API_ROUTES.verifyEmail.functionName),
      whyPublic:
        'The single-use, expiring token from the email (only its hash is stored) and the account password are the credential; wrong passwords count against the link (5 tries, then it is spent), and the tighter per-IP WAF sign-in rule applies.',
    });
    verifyEmail.allow(
      ...patientTableItems(tables, tableAccessFor(
        'patients.findVerificationToken',
        'patients.getPatient',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        'patients.consumeVerificationToken',
        'sessions.startFamily',
      )),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...signTokens,
      ...writeAudit,
    );

    // Renders the page whose button POSTs the token, or says at once that the link is used, replaced,
    // expired or unknown: it reads the token and its patient (GetItem), and writes nothing.
    const verifyEmailPage = this.addEndpoint('VerifyEmailPage', API_ROUTES.verifyEmailPage, {
      environment: { ...tableEnv, ...serviceNameEnv },
      whyPublic:
        'Serves the confirmation page reached from an email link. It reads the link\'s state (token and patient items, GetItem only) to say whether the link is still usable; it consumes nothing and returns no patient data.',
    });
    verifyEmailPage.allow(...patientTableItems(tables, tableAccessFor('patients.linkState.verification')), tableKeyViaDynamoDb(tableKey));

    const resend = this.addEndpoint('ResendVerification', API_ROUTES.resendVerification, {
      environment: { ...tableEnv, ...identifierEnv, ...serviceNameEnv },
      whyPublic:
        'Asked for by a patient who has no working link and no account credential yet. It answers the same, after the same work, whether or not the address is registered (the outbox does the lookup), and allows 3 requests per address per hour (DynamoDB counter keyed by a keyed digest of the address). The response returns no stored patient data.',
    });
    resend.allow(
      // The rate-limit counter (keyed by the address's digest); the request, queued for the outbox:
      // no lookup, no mail in the request.
      ...patientTableItems(tables, tableAccessFor('rateLimits.hit', 'outbox.enqueue')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
    );

    // Phone claim (issue 19 item 4): resend's shape, with phone verification's per-number sliding limit.
    // The outbox looks the number up and texts a claim code only for a number held unproven.
    const phoneClaim = this.addEndpoint('PhoneClaim', API_ROUTES.phoneClaim, {
      environment: { ...tableEnv, ...identifierEnv, ...serviceNameEnv },
      whyPublic:
        'Asked for by someone registering with a phone number another account holds unproven: they have no account yet. It answers the same 202, after the same work, whatever the number\'s state (the outbox does the lookup and texts a code only for a number held unproven), at most 3 requests per number in any hour (a sliding window keyed by a keyed digest of the number); the tighter per-IP WAF sign-in rule applies. The response returns no stored patient data.',
    });
    phoneClaim.allow(
      ...patientTableItems(tables, tableAccessFor('rateLimits.slide', 'outbox.enqueue')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
    );

    // Forgot password: resend's shape. The outbox looks the address up and issues the link.
    const passwordForgot = this.addEndpoint('PasswordForgot', API_ROUTES.passwordForgot, {
      environment: { ...tableEnv, ...identifierEnv, ...serviceNameEnv },
      whyPublic:
        'Asked for by a patient who cannot sign in. It answers the same 200, before any lookup or mail work (the outbox does both), whether or not the address is registered, and allows 3 requests per address per hour (DynamoDB counter keyed by a keyed digest of the address); the tighter per-IP WAF sign-in rule applies. The response returns no stored patient data.',
    });
    passwordForgot.allow(
      ...patientTableItems(tables, tableAccessFor('rateLimits.hit', 'outbox.enqueue')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
    );

    // The link's token sets a new password: the mailbox is proven, so the email becomes verified, every
    // session family ends and the lock counter is cleared. No sign-in: no token signing.
    const passwordReset = this.addEndpoint('PasswordReset', API_ROUTES.passwordReset, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...tableEnv, ...identifierEnv, ...bcryptEnv, ...serviceNameEnv },
      whyPublic:
        'The single-use reset token from the email (256 random bits, only its digest stored, valid 30 minutes, replaced by a newer request) is the credential; the tighter per-IP WAF sign-in rule applies. The response returns no stored patient data.',
    });
    passwordReset.allow(
      ...patientTableItems(tables, tableAccessFor(
        'patients.findResetToken',
        'patients.getPatient',
        'patients.resetPassword',
        'loginFailures.reset',
      )),
      tableKeyViaDynamoDb(tableKey),
      // The source IP's digest (the audit event).
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // Renders the new-password form whose submit POSTs the token, or says at once that the link is
    // used, replaced, expired or unknown: it reads the token and its patient (GetItem), and writes nothing.
    const passwordResetPage = this.addEndpoint('PasswordResetPage', API_ROUTES.passwordResetPage, {
      environment: { ...tableEnv, ...serviceNameEnv },
      whyPublic:
        'Serves the new-password form reached from a reset email link. It reads the link\'s state (token and patient items, GetItem only) to say whether the link is still usable; opening it consumes nothing and returns no patient data.',
    });
    passwordResetPage.allow(...patientTableItems(tables, tableAccessFor('patients.linkState.reset')), tableKeyViaDynamoDb(tableKey));

    // The relying party of passkeys (issue 21): the passkey routes and both steps of POST /login (a passkey as the second step).
    const webAuthnEnv = { RP_ID: config.rpId, WEBAUTHN_ORIGIN: config.webauthnOrigin, ...serviceNameEnv };
    const login = this.addEndpoint('Login', API_ROUTES.login, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...signingEnv, ...bcryptEnv, ...webAuthnEnv },
      roleName: tokenSignerRoleName(config.stage, API_ROUTES.login.functionName),
      whyPublic:
        'Sign-in: the email and password in the body are the credential being checked. The per-account lock with exponential backoff (per device for a client presenting a valid device token) and the tighter per-IP WAF sign-in rule bound guessing.',
    });
    login.allow(
      ...patientTableItems(tables, tableAccessFor(
        'patients.findCredentials',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        'patients.replacePasswordHash',
        'sessions.startFamily',
        // Issue 21: a patient with a second factor (an authenticator app, a passkey) gets the second
        // step's challenge instead of a session; a passkey holder also the request options for their own.
        'totp.read',
        'passkeys.listFor',
        'mfaChallenges.create',
      )),
      tableKeyViaDynamoDb(tableKey),
      // The email's digest (finding the account) and the source IP's digest (the audit event).
      deriveIdentifierKeys,
      ...signTokens,
      ...writeAudit,
    );

    // The second step of a sign-in (issue 21): the challenge, the app's secret decrypted for the comparison, a session.
    const loginMfa = this.addEndpoint('LoginMfa', API_ROUTES.loginMfa, {
      environment: { ...signingEnv, ...webAuthnEnv, KMS_KEY_ID: patientDataKey.keyArn },
      roleName: tokenSignerRoleName(config.stage, API_ROUTES.loginMfa.functionName),
      whyPublic:
        'Sign-in, second step: the single-use mfa_token (256 random bits, stored as a digest, 5 minutes) from a correct password and the authenticator code, recovery code or passkey assertion (over a challenge bound to that token, by one of the patient\'s own passkeys) in the body are the credentials. Wrong ones count on the same lock as wrong passwords; the per-IP WAF sign-in rule applies.',
    });
    loginMfa.allow(
      ...patientTableItems(tables, tableAccessFor(
        'mfaChallenges.read',
        'mfaChallenges.spend',
        'patients.getPatient',
        'totp.read',
        'totp.useStep',
        'totp.useRecoveryCode',
        // Or a passkey: its credential found, its counter moved forward (a conditional write).
        'passkeys.find',
        'passkeys.advanceCounter',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        'sessions.startFamily',
      )),
      tableKeyViaDynamoDb(tableKey),
      // The authenticator secret is envelope-encrypted like medical data (its own purpose): decrypted in memory for the comparison only.
      authenticatorSecretKey(patientDataKey, 'kms:Decrypt'),
      // Recovery codes' digests, the device token and the source IP's digest (the audit event).
      deriveIdentifierKeys,
      ...signTokens,
      ...writeAudit,
    );

    const tokenRefresh = this.addEndpoint('TokenRefresh', API_ROUTES.tokenRefresh, {
      environment: signingEnv,
      roleName: tokenSignerRoleName(config.stage, API_ROUTES.tokenRefresh.functionName),
      whyPublic:
        'The refresh token in the body is the credential: 256 random bits, stored only as a digest, single-use and rotated in families (a replay revokes the family).',
    });
    tokenRefresh.allow(
      // Rotating, then refusing a deactivated patient (and ending its session).
      ...patientTableItems(tables, tableAccessFor('sessions.rotate', 'patients.getPatient', 'sessions.revokeFamily')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...signTokens,
      ...writeAudit,
    );

    const bearerOnly =
      'Authenticated in the function: an ES256 access token (Bearer, 15 min) verified in-process against the published public keys before any data is touched; missing or invalid tokens get 401 with WWW-Authenticate. The accounts are this service\'s own (no Cognito user pool to authorise against), and a Lambda authorizer would add a hop for the same check.';
    const logout = this.addEndpoint('Logout', API_ROUTES.logout, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} The refresh token in the body names the session family to revoke.`,
    });
    logout.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'sessions.familyOf', 'sessions.revokeFamily')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // A clinic's choice (issue 21): the record only for a sign-in with a second factor.
    const requireMfaEnv = { REQUIRE_MFA: String(config.requireMfa) };
    const me = this.addEndpoint('Me', API_ROUTES.me, {
      environment: { ...sessionEnv, ...requireMfaEnv, KMS_KEY_ID: patientDataKey.keyArn },
      whyPublic: `${bearerOnly} It returns only the record of the patient the token names, and each read is an audit event.`,
    });
    me.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient')),
      tableKeyViaDynamoDb(tableKey),
      // Decrypting for the patient's own eyes (as MeUpdate and MeExport do): medical history and insurance.
      patientDataKeyDecryptPhi(patientDataKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meUpdate = this.addEndpoint('MeUpdate', API_ROUTES.meUpdate, {
      environment: { ...sessionEnv, ...requireMfaEnv, KMS_KEY_ID: patientDataKey.keyArn },
      whyPublic: `${bearerOnly} It changes only the record of the patient the token names, only from the version named in If-Match, and each change is an audit event.`,
    });
    meUpdate.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'patients.updateProfile')),
      tableKeyViaDynamoDb(tableKey),
      // Reads the record it corrects (as GET /me does) and re-encrypts changed patient data under a fresh data key.
      patientDataKeyDecryptPhi(patientDataKey),
      patientDataKeyGenerateOnly(patientDataKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // The patient's sessions (issue 20): no patient data, only session families, so no KMS data key.
    const meSessions = this.addEndpoint('MeSessions', API_ROUTES.meSessions, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} It lists only the sessions of the patient the token names (ids, times, a device summary; no tokens).`,
    });
    meSessions.allow(
      // Nothing to audit (no patient data read) and so no source-address digest either.
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'sessions.listLive')),
      tableKeyViaDynamoDb(tableKey),
    );

    const meSessionEnd = this.addEndpoint('MeSessionEnd', API_ROUTES.meSessionEnd, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} It ends a session only if the store finds it is the token's patient's (another's is 404), and each ending is an audit event.`,
    });
    meSessionEnd.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'sessions.endOwn')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meSessionsRevokeOthers = this.addEndpoint('MeSessionsRevokeOthers', API_ROUTES.meSessionsRevokeOthers, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} It ends the other sessions of the patient the token names only, and the ending is an audit event.`,
    });
    meSessionsRevokeOthers.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'sessions.endOthers')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // The right of access (issue 20): what GET /me reads and decrypts, the session list, and the only
    // read of the audit trail (the caller's own partition).
    const meExport = this.addEndpoint('MeExport', API_ROUTES.meExport, {
      environment: { ...sessionEnv, ...requireMfaEnv, KMS_KEY_ID: patientDataKey.keyArn },
      whyPublic: `${bearerOnly} It returns only what is held about the patient the token names (the record, its sessions, its own audit events), and each export is an audit event; it needs a sign-in within 10 minutes (AAL2 with a second factor).`,
    });
    meExport.allow(
      // totp.read, passkeys.listFor: the step-up's look at the patient's second factors.
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'sessions.listLive', 'totp.read', 'passkeys.listFor')),
      tableKeyViaDynamoDb(tableKey),
      patientDataKeyDecryptPhi(patientDataKey),
      deriveIdentifierKeys,
      ...writeAudit,
      auditTableQuery(props.auditTable),
    );

    const passwordChange = this.addEndpoint('PasswordChange', API_ROUTES.passwordChange, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...sessionEnv, ...bcryptEnv },
      whyPublic: `${bearerOnly} The current password is checked as well; a wrong one counts toward the session's own lock, and the tighter per-IP WAF sign-in rule applies.`,
    });
    passwordChange.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive',
        'patients.getPatient',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        // The new hash, the other sessions ended and the "your password was changed" notice: one transaction.
        'patients.changePassword',
        // Step-up (issue 21): does the patient hold a second factor (an app, a passkey)?
        'totp.read',
        'passkeys.listFor',
      )),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meClose = this.addEndpoint('MeClose', API_ROUTES.meClose, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...sessionEnv, ...bcryptEnv },
      whyPublic: `${bearerOnly} The password is checked as well (a wrong one counts toward the session's own lock, and the tighter per-IP WAF sign-in rule applies); it closes only the account of the patient the token names.`,
    });
    meClose.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive',
        'patients.getPatient',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        // The deactivation, every session ended and the "account closed" notice: one transaction.
        'patients.closeAccount',
        // Step-up (issue 21): does the patient hold a second factor (an app, a passkey)?
        'totp.read',
        'passkeys.listFor',
      )),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // The authenticator app (issue 21): its secret is envelope-encrypted under the patient data key, as medical data is.
    const meTotp = this.addEndpoint('MeTotp', API_ROUTES.meTotp, {
      environment: { ...sessionEnv, ...serviceNameEnv, KMS_KEY_ID: patientDataKey.keyArn },
      whyPublic: `${bearerOnly} It needs a sign-in within 10 minutes (and with the second factor if one is held), and sets up an app only for the patient the token names.`,
    });
    meTotp.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'totp.read', 'passkeys.listFor', 'totp.begin')),
      tableKeyViaDynamoDb(tableKey),
      // A fresh data key for the new secret (its own purpose): encrypt only, nothing of the record is decrypted.
      authenticatorSecretKey(patientDataKey, 'kms:GenerateDataKey'),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meTotpConfirm = this.addEndpoint('MeTotpConfirm', API_ROUTES.meTotpConfirm, {
      environment: { ...sessionEnv, KMS_KEY_ID: patientDataKey.keyArn },
      whyPublic: `${bearerOnly} The code is checked against the token's own patient's pending secret; wrong codes count toward the session's lock, and the per-IP WAF sign-in rule applies.`,
    });
    meTotpConfirm.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive', 'patients.getPatient', 'totp.read', 'totp.activate', 'loginFailures.reserve', 'loginFailures.extendLock', 'loginFailures.reset',
      )),
      tableKeyViaDynamoDb(tableKey),
      authenticatorSecretKey(patientDataKey, 'kms:Decrypt'),
      // The recovery codes' keyed digests and the source IP's (the audit event).
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meTotpRemove = this.addEndpoint('MeTotpRemove', API_ROUTES.meTotpRemove, {
      environment: { ...sessionEnv, KMS_KEY_ID: patientDataKey.keyArn },
      whyPublic: `${bearerOnly} It needs a recent sign-in with the second factor and a current code or recovery code, removes only the token's patient's app, and ends the other sessions.`,
    });
    meTotpRemove.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive', 'patients.getPatient', 'totp.read', 'passkeys.listFor', 'totp.useStep', 'totp.useRecoveryCode', 'totp.remove',
        'loginFailures.reserve', 'loginFailures.extendLock', 'loginFailures.reset', 'sessions.endOthers',
      )),
      tableKeyViaDynamoDb(tableKey),
      authenticatorSecretKey(patientDataKey, 'kms:Decrypt'),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // Moving the email (issue 20): the request, the link's use (Bearer JSON, or the page's form with
    // the password) and the link's page.
    const meEmail = this.addEndpoint('MeEmail', API_ROUTES.meEmail, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...sessionEnv, ...bcryptEnv, EMAIL_MOVE_URL_BASE: emailMoveUrlBase },
      whyPublic: `${bearerOnly} The password is checked as well (a wrong one counts toward the session's own lock, and the tighter per-IP WAF sign-in rule applies); it answers the same 202 whether or not the new address is registered, and mails only: nothing changes until the link is used.`,
    });
    meEmail.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive',
        'patients.getPatient',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        'patients.findTakenIdentifiers',
        // 3 moves per patient in any hour (a sliding window): each mails an address the patient chose.
        'rateLimits.slide',
        // A registered address: only the "someone tried" mail, queued on its own.
        'outbox.enqueue',
        'contactMoves.requestEmailMove',
        // The step-up's look at the patient's second factors (issue 21).
        'totp.read',
        'passkeys.listFor',
      )),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meEmailConfirm = this.addEndpoint('MeEmailConfirm', API_ROUTES.meEmailConfirm, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...sessionEnv, ...bcryptEnv, ...serviceNameEnv },
      whyPublic: `${bearerOnly} From the link's page (no token) the account's password proves the account instead (5 wrong ones spend the link; the tighter per-IP WAF sign-in rule applies). Either way it needs the single-use link (30 minutes) mailed to the new address, and moves only the email of the patient the link names.`,
    });
    meEmailConfirm.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive',
        'patients.getPatient',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        'contactMoves.emailMoveLink',
        'contactMoves.confirmEmailMove',
      )),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const meEmailConfirmPage = this.addEndpoint('MeEmailConfirmPage', API_ROUTES.meEmailConfirmPage, {
      environment: { ...tableEnv, ...serviceNameEnv },
      whyPublic:
        'Serves the confirmation page reached from the email-move link. It reads the link\'s state (link and patient items, GetItem only) to say whether the link is still usable; it consumes nothing and returns no patient data.',
    });
    meEmailConfirmPage.allow(...patientTableItems(tables, tableAccessFor('contactMoves.emailMoveLink')), tableKeyViaDynamoDb(tableKey));

    const phoneVerification = this.addEndpoint('PhoneVerification', API_ROUTES.phoneVerification, {
      environment: { ...sessionEnv, ...smsBudgetEnvironment(config.sms.budgets) },
      whyPublic: `${bearerOnly} The code goes to the phone number already stored for the token's patient (never one from the request), at most 3 codes per patient in any hour (a sliding window).`,
    });
    phoneVerification.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'rateLimits.slide', 'rateLimits.hit', 'phoneCodes.issueCode')),
      tableKeyViaDynamoDb(tableKey),
      // The code's keyed digest (only that is stored) and the source IP's (the audit event).
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const phoneVerify = this.addEndpoint('PhoneVerify', API_ROUTES.phoneVerify, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} The code is checked against the token's own patient only, with at most 5 wrong tries per code and a 10-minute life; the tighter per-IP WAF sign-in rule applies.`,
    });
    phoneVerify.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'phoneCodes.attemptCode')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // Moving the phone (issue 20): the request (the password, then a code under the phone verification's
    // own limits and budgets, to the new number) and the code's use (the swap of number and reservation).
    const mePhone = this.addEndpoint('MePhone', API_ROUTES.mePhone, {
      memorySize: PASSWORD_CHECK_MEMORY_MB,
      environment: { ...sessionEnv, ...bcryptEnv, ...smsBudgetEnvironment(config.sms.budgets) },
      whyPublic: `${bearerOnly} The password is checked as well (a wrong one counts toward the session's own lock; the tighter per-IP WAF sign-in rule applies); the code goes to the new number under phone verification's limits (3 codes per patient in any hour) and the day's text budgets.`,
    });
    mePhone.allow(
      ...patientTableItems(tables, tableAccessFor(
        'sessions.isLive',
        'patients.getPatient',
        'loginFailures.reserve',
        'loginFailures.extendLock',
        'loginFailures.reset',
        // The number's holder: a number its holder proved is refused; one held unproven is texted (issue 19 item 4).
        'patients.findPhoneHolder',
        'rateLimits.slide',
        'rateLimits.hit',
        'phoneCodes.issueCode',
        // The step-up's look at the patient's second factors (issue 21).
        'totp.read',
        'passkeys.listFor',
      )),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const mePhoneVerify = this.addEndpoint('MePhoneVerify', API_ROUTES.mePhoneVerify, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} The code is checked against the token's own patient only, with at most 5 wrong tries per code and a 10-minute life; the tighter per-IP WAF sign-in rule applies.`,
    });
    mePhoneVerify.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'phoneCodes.attemptMoveCode')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    // Passkeys (issue 21): WebAuthn checks run in the function (@simplewebauthn/server); no KMS key
    // of patient data, only the passkey items, the challenges, the notice and the audit event.
    const passkeyFactorsWhy = 'at AAL2 once the patient holds a second factor (RFC 9470 step-up), with a sign-in in the last 10 minutes';
    const passkeyEnrolOptions = this.addEndpoint('PasskeyEnrolOptions', API_ROUTES.passkeyEnrolOptions, {
      environment: { ...sessionEnv, ...webAuthnEnv },
      whyPublic: `${bearerOnly} It makes creation options for the token's own patient only, ${passkeyFactorsWhy}; the challenge is stored bound to that patient.`,
    });
    passkeyEnrolOptions.allow(
      // No audit event (nothing is changed or read of the record beyond the email the authenticator shows).
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'passkeys.listFor', 'totp.read', 'passkeys.saveChallenge')),
      tableKeyViaDynamoDb(tableKey),
    );

    const passkeyEnrol = this.addEndpoint('PasskeyEnrol', API_ROUTES.passkeyEnrol, {
      environment: { ...sessionEnv, ...webAuthnEnv },
      whyPublic: `${bearerOnly} It stores a passkey for the token's own patient only, answering a challenge issued to that patient (spent once), ${passkeyFactorsWhy}; each addition is mailed and audited.`,
    });
    passkeyEnrol.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'passkeys.listFor', 'totp.read', 'passkeys.takeChallenge', 'passkeys.add')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const passkeyList = this.addEndpoint('PasskeyList', API_ROUTES.passkeyList, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} It lists only the passkeys of the patient the token names (names, dates, ids; no keys).`,
    });
    passkeyList.allow(...patientTableItems(tables, tableAccessFor('sessions.isLive', 'passkeys.listFor')), tableKeyViaDynamoDb(tableKey));

    const passkeyRemove = this.addEndpoint('PasskeyRemove', API_ROUTES.passkeyRemove, {
      environment: sessionEnv,
      whyPublic: `${bearerOnly} It removes a passkey only if the store finds it is the token's patient's (another's is 404), ${passkeyFactorsWhy}; the other sessions end, and the removal is mailed and audited.`,
    });
    passkeyRemove.allow(
      ...patientTableItems(tables, tableAccessFor('sessions.isLive', 'patients.getPatient', 'passkeys.listFor', 'totp.read', 'passkeys.remove', 'sessions.endOthers')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...writeAudit,
    );

    const passkeyLoginOptions = this.addEndpoint('PasskeyLoginOptions', API_ROUTES.passkeyLoginOptions, {
      environment: { ...tableEnv, ...webAuthnEnv },
      whyPublic: 'Starts a passkey sign-in for someone not signed in yet: it stores a random challenge (expiring in 5 minutes, removed by TTL) and returns it with the site\'s RP id; it reads nothing and names no account.',
    });
    passkeyLoginOptions.allow(...patientTableItems(tables, tableAccessFor('passkeys.saveChallenge')), tableKeyViaDynamoDb(tableKey));

    const passkeyLogin = this.addEndpoint('PasskeyLogin', API_ROUTES.passkeyLogin, {
      environment: { ...signingEnv, ...webAuthnEnv },
      roleName: tokenSignerRoleName(config.stage, API_ROUTES.passkeyLogin.functionName),
      whyPublic:
        'Sign-in with a passkey: the WebAuthn assertion in the body is the credential (a signature by a key only the patient\'s authenticator holds, over a single-use server challenge, for this site, with the user verified). A counter that does not grow is refused and audited; the per-IP WAF sign-in rule applies.',
    });
    passkeyLogin.allow(
      ...patientTableItems(tables, tableAccessFor('passkeys.takeChallenge', 'passkeys.find', 'passkeys.advanceCounter', 'patients.getPatient', 'sessions.startFamily')),
      tableKeyViaDynamoDb(tableKey),
      deriveIdentifierKeys,
      ...signTokens,
      ...writeAudit,
    );

    // The two passkey pages: static HTML with its one script (hash-pinned in the CSP), no data, no AWS call.
    const pageWhy = 'Serves a static page whose script runs WebAuthn in the browser and calls the passkey routes; it reads nothing, touches no AWS service and returns no data.';
    this.addEndpoint('PasskeyEnrolPage', API_ROUTES.passkeyEnrolPage, { environment: serviceNameEnv, whyPublic: pageWhy });
    this.addEndpoint('PasskeySignInPage', API_ROUTES.passkeySignInPage, { environment: serviceNameEnv, whyPublic: pageWhy });

    // The access tokens' public keys for third-party verifiers: from the environment, no AWS call, so no
    // permissions. The table names only because lib/config.ts reads them for every function.
    this.addEndpoint('Jwks', API_ROUTES.jwks, {
      environment: { ...tableEnv, ...tokenEnv },
      whyPublic: 'Publishes the public keys access tokens are verified with (a JWK Set, RFC 7517), for any API that verifies them; it holds no private key, reads nothing and returns no patient data.',
    });

    // Liveness for load balancers and uptime checks: the API, Lambda and this bundle answer. No data,
    // no dependency, so no permissions: a probe can never add load to the table or KMS.
    this.addEndpoint('Health', API_ROUTES.health, {
      whyPublic: 'A health check for load balancers and uptime monitors: it answers a fixed status, reads and touches nothing, and returns no data.',
    });

    this.alarms.watchSignInFailures({ Login: login.logGroup, VerifyEmail: verifyEmail.logGroup, LoginMfa: loginMfa.logGroup, PasskeyLogin: passkeyLogin.logGroup });
    this.alarms.watchPasswordResets({ PasswordReset: passwordReset.logGroup });
    this.alarms.watchRefreshTokenReuse({ TokenRefresh: tokenRefresh.logGroup });

    this.outboxMailer = this.addOutboxMailer({
      tables,
      tableKey,
      queueKey: props.observabilityKey,
      // The text budgets: a phone claim request's code is texted from here (issue 19 item 4).
      environment: { ...mailEnv, ...identifierEnv, ...resetEnv, ...smsEnv, ...smsBudgetEnvironment(config.sms.budgets) },
      grants: [sendMail, sendSms, deriveIdentifierKeys],
    });
    // All spend texts: phone verification codes, a new number's codes (POST /me/phone), and (in the mailer) phone claim codes.
    this.alarms.watchSmsBudgets({ PhoneVerification: phoneVerification.logGroup, MePhone: mePhone.logGroup, OutboxMailer: this.outboxMailer.fn.logGroup });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the API stage' });
    new CfnOutput(this, 'VerifyUrlBase', { value: verifyUrlBase, description: 'Link base in verification emails' });
    new CfnOutput(this, 'ResetUrlBase', { value: resetUrlBase, description: 'Link base in password-reset emails' });
    new CfnOutput(this, 'SmsOriginationIdentity', { value: sms.originationIdentity, description: 'Where verification texts are sent from' });
    new CfnOutput(this, 'SmsSandbox', {
      value: String(sms.sandbox),
      description: sms.sandbox
        ? 'SMS sandbox: texts reach only destination numbers verified in the End User Messaging SMS console'
        : 'SMS production access: texts reach any patient number',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'OutboxMailerDeadLetterQueueUrl', {
      value: this.outboxMailer.deadLetterQueue.queueUrl,
      description: 'Failed outbox-mailer stream batches and sweeps (metadata only)',
    });
  }

  /**
   * The outbox mailer: the outbox table's stream (new OUTBOX# items only) and a one-minute sweep,
   * both into one function with a small reserved concurrency. Stream batches that still fail
   * after bounded retries, and sweeps Lambda gave up on, land in one KMS-encrypted queue that
   * raises an alarm. Mails themselves are never lost there: they stay in the outbox table and
   * the next sweep picks them up; the queue only tells an operator that delivery is stuck.
   */
  private addOutboxMailer(props: {
    tables: PatientTables;
    tableKey: IKey;
    queueKey: IKey;
    environment: Record<string, string>;
    grants: PolicyStatement[];
  }): { fn: ServiceFunction; deadLetterQueue: Queue; schedule: Rule } {
    const { tables, tableKey, queueKey } = props;
    const deadLetterQueue = new Queue(this, 'OutboxMailerDeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: queueKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Not acknowledged for AwsSolutions-SQS3: cdk-nag sees it is the function's dead-letter queue.

    const fn = new ServiceFunction(this, 'OutboxMailer', {
      name: 'outbox-mailer',
      description: 'Outbox mailer: outbox table stream (new OUTBOX# items) and a one-minute sweep',
      functionsDir: this.functionsDir,
      reservedConcurrency: this.config.reservedConcurrency['outbox-mailer'] ?? this.config.reservedConcurrency.default,
      // Below the 60 s send lease (lib/outbox/deliver-mail.ts): a run never outlives its claims.
      timeout: Duration.seconds(30),
      environment: props.environment,
      logs: this.logs,
      logLevel: this.config.logLevel,
      asyncInvocation: {
        deadLetterQueue,
        // A failed sweep is redone by the next one a minute later; retrying it would only overlap that.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(2),
      },
    });
    fn.allow(
      dueIndexQuery(tables.outboxTable),
      ...patientTableItems(tables, mergeTableAccess(
        {
          // Claim / mark done / release outbox items; a resend request's token replacement (patient).
          'dynamodb:UpdateItem': ['OUTBOX#', 'PATIENT#'],
          // A resend (or forgot-password) request's lookup: email reservation → patient contact; the
          // phone number a code is texted to.
          'dynamodb:GetItem': ['EMAIL#', 'PATIENT#'],
          // The new token and its mail, in the replacement transaction.
          'dynamodb:PutItem': ['VERIFY#', 'OUTBOX#'],
        },
        // A forgot-password request: the reset link is issued here, as a resend's link is.
        TABLE_CALLS_OF_OUTBOX_MAILER,
      )),
      tableStreamRead(tables.outboxTable),
      tableKeyViaDynamoDb(tableKey),
      sendToDeadLetterQueue(deadLetterQueue),
      queueKeyViaSqs(queueKey, deadLetterQueue),
      ...props.grants,
    );

    fn.function.addEventSource(
      new DynamoEventSource(tables.outboxTable, {
        startingPosition: StartingPosition.LATEST,
        batchSize: OUTBOX_STREAM_SOURCE.batchSize,
        // The handler reports the records it could not deliver; only those are retried.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: OUTBOX_STREAM_SOURCE.retryAttempts,
        // Past this the sweep owns the mail anyway.
        maxRecordAge: Duration.hours(1),
        onFailure: new SqsDlq(deadLetterQueue),
        // Only a newly written outbox item invokes the function (lib/outbox/stream-source.ts, which the
        // local stream consumer applies too); Lambda drops every other record for free.
        filters: [FilterCriteria.filter(OUTBOX_STREAM_SOURCE.filterPattern)],
      }),
    );

    const schedule = new Rule(this, 'OutboxSweepSchedule', {
      description: 'Every minute: deliver outbox mails whose send failed or whose sender crashed',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(fn.function, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });

    this.alarms.watchFunction('OutboxMailer', fn.function);
    this.alarms.watchSmsSendFailures({ OutboxMailer: fn.logGroup });
    this.alarms.watchDeadLetterQueue('OutboxMailerDeadLetterQueue', deadLetterQueue);
    this.functions['outbox-mailer'] = fn;
    return { fn, deadLetterQueue, schedule };
  }

  /**
   * A function, its route and its alarms in one call; permissions are added by the
   * caller with `.allow(...)`. Method, path, function and timeout come from the route table
   * (lib/http/routes.ts) the local server also runs: adding an endpoint is one route there,
   * one `addEndpoint` line here, plus its grants.
   */
  addEndpoint(id: string, route: ApiRoute, props: EndpointProps & { whyPublic: string }): ServiceFunction {
    const { reservedConcurrency } = this.config;
    const { whyPublic, ...functionProps } = props;
    const name = route.functionName;
    const { corsAllowedOrigins } = this.config;
    const fn = new ServiceFunction(this, id, {
      ...functionProps,
      // The functions add Access-Control-Allow-Origin to their answers (lib/http/cors.ts).
      ...(corsAllowedOrigins.length > 0 && { environment: { ...functionProps.environment, [CORS_ENV]: corsAllowedOrigins.join(',') } }),
      name,
      description: `${route.method} ${route.path}`,
      timeout: Duration.seconds(route.timeoutSeconds),
      functionsDir: this.functionsDir,
      reservedConcurrency: reservedConcurrency[name] ?? reservedConcurrency.default,
      logs: this.logs,
      logLevel: this.config.logLevel,
    });
    this.api.addPublicLambdaRoute(route.method, route.path, fn.function, whyPublic);
    this.alarms.watchFunction(id, fn.function);
    this.functions[name] = fn;
    return fn;
  }
}
