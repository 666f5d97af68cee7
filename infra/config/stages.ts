import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseAllowedOrigin } from '../../lib/http/cors.js';
import { assertWebAuthnSettings, DEFAULT_SMS_BUDGET_SHARDS, readOutboxShards, readServiceName, readSmsBudgetShards } from '../../lib/config.js';

export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Functions that get their own reserved-concurrency figure; anything else uses `default`. */
export type ReservedConcurrency = { readonly default: number } & Readonly<Partial<Record<string, number>>>;

export interface StageConfig {
  readonly stage: StageName;
  /** Resolved from `-c account=`, CDK_DEFAULT_ACCOUNT, or a placeholder so synth works offline. */
  readonly account: string;
  readonly region: string;
  /** RETAIN keeps the patient table (and its keys) when the stack is deleted. */
  readonly tableRemovalPolicy: RemovalPolicy;
  readonly tableDeletionProtection: boolean;
  readonly logRetention: RetentionDays;
  /** Log groups of a throw-away stage go with the stack; real stages keep their audit trail. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** API Gateway stage-wide steady rate (requests/s) and burst. */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** WAF rate-based rule: requests per client IP per evaluation window before blocking. */
  readonly wafRateLimitPerIp: { readonly limit: number; readonly window: Duration };
  /**
   * WAF rate-based rule on the POSTs that check a credential or start a recovery (login, verify-email,
   * password forgot / reset / change, phone verify): requests per client IP per window, one budget
   * across all of them. Tighter than `wafRateLimitPerIp`, which those requests count toward as well.
   */
  readonly wafSignInRateLimitPerIp: { readonly limit: number; readonly window: Duration };
  readonly reservedConcurrency: ReservedConcurrency;
  /** Sender address (MAIL_FROM); an SES email identity is created for it. */
  readonly mailFrom: string;
  /** The name pages and mails carry, and the mails' sender display name (SERVICE_NAME); `-c serviceName=...`. */
  readonly serviceName: string;
  /**
   * Base of the link in the verification email. Undefined: the API's own
   * `GET /api/v1/patient/verify-email` page is used.
   */
  readonly verifyUrlBase: string | undefined;
  /**
   * Base of the link in the password-reset email (RESET_URL_BASE). Undefined: the API's own
   * `GET /api/v1/patient/password/reset` page is used.
   */
  readonly resetUrlBase: string | undefined;
  /** Texting phone verification codes through AWS End User Messaging SMS. */
  readonly sms: SmsConfig;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Optional e-mail subscribed to the alarm topic (confirmation mail goes to it on deploy). */
  readonly alarmEmail: string | undefined;
  /**
   * Versions of the identifier HMAC keys derived from the stage's KMS HMAC key, current first
   * (IDENTIFIER_KEY_VERSIONS). Rotation: append the new version and deploy; once every instance runs
   * that deploy, move it first and deploy again. Never drop a version reservations were written under.
   */
  readonly identifierKeyVersions: readonly string[];
  /**
   * Access-token signing key pairs (ES256, generated at deploy and wrapped under KMS in the stateful
   * stack), by version, current first; the others are published (ACCESS_TOKEN_PUBLIC_KEYS, the JWKS)
   * and only verify. Rotation in three deploys: append the new version; at least 5 minutes (the JWKS
   * cache) later move it first; at least 15 minutes (token lifetime) after that deploy, drop the old
   * one (stateless stack deployed first). See StatefulStack.
   */
  readonly accessTokenSigningKeyVersions: readonly string[];
  /** `iss` of this stage's access tokens (TOKEN_ISSUER): an https URL of the stage. */
  readonly tokenIssuer: string;
  /** `aud` of this stage's access tokens (TOKEN_AUDIENCE): a token of one stage is refused by every other. */
  readonly tokenAudience: string;
  /** UNVERIFIED_LAPSE_DAYS: an unverified registration lapses after this many days. */
  readonly unverifiedLapseDays: number;
  /**
   * OUTBOX_SHARDS: partitions of the outbox's due index (lib/adapters/dynamodb/keys.ts). Each takes
   * ~1,000 index writes a second and every outbox item costs about three (write, claim, mark sent),
   * so 32 carry ~10,000 mails a second. Raise it, never lower it while mails are due: items in a
   * dropped shard would wait for no sweep. `-c outboxShards=<1..256>`.
   */
  readonly outboxShards: number;
  /**
   * Browser origins allowed to call the API (CORS): API Gateway answers their preflight and the
   * functions echo them in Access-Control-Allow-Origin (CORS_ALLOWED_ORIGINS). Exact origins only
   * (API Gateway's preflight compares strings); empty: no preflight route and no CORS header at all.
   * Override per deploy with `-c corsAllowedOrigins=https://app.example.com,https://admin.example.com`
   * (`-c corsAllowedOrigins=` for none).
   */
  readonly corsAllowedOrigins: readonly string[];
  /**
   * A clinic's choice (issue 21): GET /me, PATCH /me and every route that discloses the record refuse
   * a sign-in without a second factor (REQUIRE_MFA). Off in every stage by default; turn it on with
   * `-c requireMfa=true`.
   */
  readonly requireMfa: boolean;
  /**
   * Passkeys (RP_ID, WEBAUTHN_ORIGIN): the relying party id, the registrable domain the stage's pages
   * run under, and the one origin they run on. A passkey is bound to the RP id for good: changing it
   * strands every enrolled passkey. Override with `-c rpId=clinic.example -c webauthnOrigin=https://app.clinic.example`.
   */
  readonly rpId: string;
  readonly webauthnOrigin: string;
}

/**
 * AWS End User Messaging SMS, per stage. The origination identity is bought and registered outside
 * this app (a toll-free number or 10DLC campaign registration takes days to weeks and is tied to the
 * account, not to a stack), so the stage names it instead of creating it.
 */
export interface SmsConfig {
  /**
   * ARN of the phone number, pool or sender ID texts go out from (SMS_ORIGINATION_IDENTITY); the
   * outbox mailer may send from this one identity only. In the stage's region: SendTextMessage is
   * regional. Override per deploy with `-c smsOriginationIdentity=arn:aws:sms-voice:...`.
   */
  readonly originationIdentity: string;
  /**
   * Optional configuration set name (SMS_CONFIGURATION_SET), e.g. for delivery-receipt event
   * destinations; the send grant then names it too. `-c smsConfigurationSet=<name>`.
   */
  readonly configurationSet: string | undefined;
  /**
   * Whether the account is still in the SMS sandbox in this region. In the sandbox texts reach only
   * destination numbers verified in the console (or the simulator numbers), and the monthly spend
   * limit is tiny: fine for dev and staging testers, useless for real patients, so prod must have
   * production access (a support case per region). Informational: the stack outputs it, the code
   * sends the same way in both.
   */
  readonly sandbox: boolean;
  /**
   * Texts per UTC day (SMS pumping, issue 19 item 16): the whole service's, each destination
   * country's, and exceptions by country (ISO alpha-2, or `+<calling code>` for numbers no country
   * claims; 0 sends nothing there). Beyond them a code request answers 429 and the
   * SmsBudgetServiceExhausted / SmsBudgetCountryExhausted alarms fire. Sized from the clinic's
   * expected sign-ups; the monthly spend limit of End User Messaging SMS stays the last line.
   */
  readonly budgets: SmsBudgetConfig;
}

export interface SmsBudgetConfig {
  readonly daily: number;
  readonly countryDaily: number;
  readonly countries: Readonly<Record<string, number>>;
  /**
   * SMS_BUDGET_SHARDS: counters each budget is split over, each with a slice of it
   * (lib/phone/sms-budget.ts `budgetShards`); one counter is one partition, ~1,000 texts a second
   * for the whole service. Slices make the budget refuse a little early near its end; a test stage
   * keeps one counter so testers see exact counts. Change it between UTC days.
   */
  readonly shards: number;
}

/** SMS_DAILY_BUDGET, SMS_COUNTRY_DAILY_BUDGET, SMS_COUNTRY_BUDGETS and SMS_BUDGET_SHARDS (lib/config.ts) for a function that texts. */
export function smsBudgetEnvironment(budgets: SmsBudgetConfig): Record<string, string> {
  return {
    SMS_DAILY_BUDGET: String(budgets.daily),
    SMS_COUNTRY_DAILY_BUDGET: String(budgets.countryDaily),
    SMS_COUNTRY_BUDGETS: Object.entries(budgets.countries).map(([country, budget]) => `${country}=${budget}`).join(','),
    SMS_BUDGET_SHARDS: String(readSmsBudgetShards({ SMS_BUDGET_SHARDS: String(budgets.shards) })),
  };
}

/** Testers only: a handful of texts a day, anywhere. */
const TEST_STAGE_SMS_BUDGETS: SmsBudgetConfig = { daily: 100, countryDaily: 50, countries: {}, shards: 1 };

type StageDefaults = Omit<StageConfig, 'stage' | 'account' | 'region' | 'sms'> & {
  /** Everything but the origination identity's ARN, which needs the stage's account and region. */
  readonly sms: Omit<SmsConfig, 'originationIdentity'> & {
    /** `phone-number/<id>`, `pool/<id>` or `sender-id/<id>/<country>` in the stage's account and region. */
    readonly originationIdentityResource: string;
  };
};

/** What SendTextMessage can send from (IAM resource types of End User Messaging SMS and Voice v2). */
const ORIGINATION_IDENTITY_ARN = /^arn:aws[a-z-]*:sms-voice:([a-z0-9-]+):\d{12}:(phone-number|pool|sender-id)\/[A-Za-z0-9_\/-]+$/;
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The outbox mailer in every stage: one stream shard batch plus one sweep at a time. Kept at 2
 * so that a slow or failing SES cannot fan the mailer out (each run holds a 60 s send lease).
 */
export const OUTBOX_MAILER_CONCURRENCY = 2;

/**
 * 20 password attempts per IP per 5 minutes in every stage, below the general per-IP limit of each
 * (prod 50): enough for a household or a clinic behind one address to sign in, retype a password and
 * verify an email, or to walk through a reset (forgot, reset, sign in, confirm the phone: about five), while a guesser from one address gets at most 4 tries a minute across all accounts,
 * on top of the per-account lock (lib/auth/lockout-policy.ts). WAF's smallest allowed limit is 10.
 */
export const SIGN_IN_RATE_LIMIT_PER_IP = { limit: 20, window: Duration.minutes(5) } as const;

/** The due index's shards in every stage (issue 23: no index partition below 10,000 mails a second). */
export const OUTBOX_SHARDS = 32;

/** The default: a squatted address or phone number is free again after a week. */
export const UNVERIFIED_LAPSE_DAYS = 7;

/**
 * What differs per stage. Sender addresses and token issuers are placeholders on example.com: set the
 * real ones here or override per deploy with `-c mailFrom=... -c verifyUrlBase=... -c tokenIssuer=...`.
 */
export const STAGE_DEFAULTS: Readonly<Record<StageName, StageDefaults>> = {
  dev: {
    tableRemovalPolicy: RemovalPolicy.DESTROY,
    tableDeletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    apiThrottle: { rateLimit: 10, burstLimit: 20 },
    wafRateLimitPerIp: { limit: 100, window: Duration.minutes(5) },
    wafSignInRateLimitPerIp: SIGN_IN_RATE_LIMIT_PER_IP,
    reservedConcurrency: { default: 2, register: 5, login: 5, 'outbox-mailer': OUTBOX_MAILER_CONCURRENCY },
    identifierKeyVersions: ['v1'],
    accessTokenSigningKeyVersions: ['v1'],
    tokenIssuer: 'https://dev.patients.example.com/',
    tokenAudience: 'patient-registration-dev',
    unverifiedLapseDays: UNVERIFIED_LAPSE_DAYS,
    outboxShards: OUTBOX_SHARDS,
    mailFrom: 'no-reply@dev.patients.example.com',
    serviceName: 'Patient Registration (dev)',
    verifyUrlBase: undefined,
    resetUrlBase: undefined,
    // Placeholder pool id: set the stage's real one here or with -c smsOriginationIdentity=<ARN>.
    sms: { originationIdentityResource: 'pool/pool-patient-registration-dev', configurationSet: undefined, sandbox: true, budgets: TEST_STAGE_SMS_BUDGETS },
    // A front end's dev server (Vite's default port) against the dev API; dev holds test data only.
    corsAllowedOrigins: ['http://localhost:5173'],
    requireMfa: false,
    rpId: 'dev.patients.example.com',
    webauthnOrigin: 'https://dev.patients.example.com',
    logLevel: 'DEBUG',
    alarmEmail: undefined,
  },
  staging: {
    tableRemovalPolicy: RemovalPolicy.RETAIN,
    tableDeletionProtection: false,
    logRetention: RetentionDays.ONE_MONTH,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    apiThrottle: { rateLimit: 25, burstLimit: 50 },
    wafRateLimitPerIp: { limit: 100, window: Duration.minutes(5) },
    wafSignInRateLimitPerIp: SIGN_IN_RATE_LIMIT_PER_IP,
    reservedConcurrency: { default: 5, register: 10, login: 10, 'outbox-mailer': OUTBOX_MAILER_CONCURRENCY },
    identifierKeyVersions: ['v1'],
    accessTokenSigningKeyVersions: ['v1'],
    tokenIssuer: 'https://staging.patients.example.com/',
    tokenAudience: 'patient-registration-staging',
    unverifiedLapseDays: UNVERIFIED_LAPSE_DAYS,
    outboxShards: OUTBOX_SHARDS,
    mailFrom: 'no-reply@staging.patients.example.com',
    serviceName: 'Patient Registration (staging)',
    verifyUrlBase: undefined,
    resetUrlBase: undefined,
    // Placeholder pool id: set the stage's real one here or with -c smsOriginationIdentity=<ARN>.
    sms: { originationIdentityResource: 'pool/pool-patient-registration-staging', configurationSet: undefined, sandbox: true, budgets: TEST_STAGE_SMS_BUDGETS },
    corsAllowedOrigins: [],
    requireMfa: false,
    rpId: 'staging.patients.example.com',
    webauthnOrigin: 'https://staging.patients.example.com',
    logLevel: 'INFO',
    alarmEmail: undefined,
  },
  prod: {
    tableRemovalPolicy: RemovalPolicy.RETAIN,
    tableDeletionProtection: true,
    logRetention: RetentionDays.ONE_YEAR,
    logRemovalPolicy: RemovalPolicy.RETAIN,
    apiThrottle: { rateLimit: 100, burstLimit: 200 },
    wafRateLimitPerIp: { limit: 50, window: Duration.minutes(5) },
    wafSignInRateLimitPerIp: SIGN_IN_RATE_LIMIT_PER_IP,
    // 50 concurrent bcrypt hashes at ~0.5 s each is ~100 registrations (or sign-ins)/s: far above
    // any plausible rate, low enough to cap the bill during an attack.
    reservedConcurrency: { default: 20, register: 50, login: 50, 'outbox-mailer': OUTBOX_MAILER_CONCURRENCY },
    identifierKeyVersions: ['v1'],
    accessTokenSigningKeyVersions: ['v1'],
    tokenIssuer: 'https://patients.example.com/',
    tokenAudience: 'patient-registration-prod',
    unverifiedLapseDays: UNVERIFIED_LAPSE_DAYS,
    outboxShards: OUTBOX_SHARDS,
    mailFrom: 'no-reply@patients.example.com',
    serviceName: 'Patient Registration',
    verifyUrlBase: undefined,
    resetUrlBase: undefined,
    // Placeholder pool id: set the stage's real one here or with -c smsOriginationIdentity=<ARN>.
    // A US clinic (the spec's addresses): most texts go home; any other country gets a little.
    sms: {
      originationIdentityResource: 'pool/pool-patient-registration-prod', configurationSet: undefined, sandbox: false,
      budgets: { daily: 2000, countryDaily: 50, countries: { US: 2000 }, shards: DEFAULT_SMS_BUDGET_SHARDS },
    },
    // None until the real front end's origin is known: set it here or with -c corsAllowedOrigins=.
    corsAllowedOrigins: [],
    requireMfa: false,
    rpId: 'patients.example.com',
    webauthnOrigin: 'https://patients.example.com',
    logLevel: 'INFO',
    alarmEmail: undefined,
  },
};

/** Used only when neither context nor CDK_DEFAULT_* provide a value (offline synth, tests). */
export const PLACEHOLDER_ACCOUNT = '123456789012';
export const PLACEHOLDER_REGION = 'us-east-1';

export class UnknownStageError extends Error {
  override readonly name = 'UnknownStageError';
  constructor(stage: string) {
    super(`Unknown stage "${stage}": pass -c stage=<${STAGE_NAMES.join('|')}>`);
  }
}

function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}

/** Reads a context value (e.g. from `-c key=value`) as a non-empty string. */
export type ContextReader = (key: string) => unknown;

function stringContext(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Picks the stage from `-c stage=` (default `dev`, so a bare `cdk synth` works) and
 * resolves the target environment. Throws on an unknown stage so synth stops early.
 */
export function resolveStageConfig(
  read: ContextReader,
  env: NodeJS.ProcessEnv = process.env,
): StageConfig {
  const stage = stringContext(read, 'stage') ?? 'dev';
  if (!isStageName(stage)) throw new UnknownStageError(stage);
  const defaults = STAGE_DEFAULTS[stage];
  const verifyUrlBase = stringContext(read, 'verifyUrlBase') ?? defaults.verifyUrlBase;
  if (verifyUrlBase !== undefined && !verifyUrlBase.startsWith('https://')) {
    throw new Error(`verifyUrlBase must be an https:// URL, got "${verifyUrlBase}"`);
  }
  const resetUrlBase = stringContext(read, 'resetUrlBase') ?? defaults.resetUrlBase;
  if (resetUrlBase !== undefined && !resetUrlBase.startsWith('https://')) {
    throw new Error(`resetUrlBase must be an https:// URL, got "${resetUrlBase}"`);
  }
  const tokenIssuer = stringContext(read, 'tokenIssuer') ?? defaults.tokenIssuer;
  if (!tokenIssuer.startsWith('https://')) throw new Error(`tokenIssuer must be an https:// URL, got "${tokenIssuer}"`);
  const account = stringContext(read, 'account') ?? env.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT;
  const region = stringContext(read, 'region') ?? env.CDK_DEFAULT_REGION ?? PLACEHOLDER_REGION;
  return {
    ...defaults,
    tokenIssuer,
    stage,
    account,
    region,
    mailFrom: stringContext(read, 'mailFrom') ?? defaults.mailFrom,
    // The functions' own check (lib/config.ts), so a bad name stops the synth, not a cold start.
    serviceName: readServiceName({ SERVICE_NAME: stringContext(read, 'serviceName') ?? defaults.serviceName }),
    outboxShards: readOutboxShards({ OUTBOX_SHARDS: stringContext(read, 'outboxShards') ?? String(defaults.outboxShards) }),
    verifyUrlBase,
    resetUrlBase,
    sms: resolveSms(read, defaults.sms, account, region),
    alarmEmail: stringContext(read, 'alarmEmail') ?? defaults.alarmEmail,
    corsAllowedOrigins: resolveCorsOrigins(read, defaults.corsAllowedOrigins),
    requireMfa: resolveRequireMfa(read, defaults.requireMfa),
    ...resolveWebAuthn(read, defaults),
  };
}

/** `-c requireMfa=true|false`; anything else stops the synth (as REQUIRE_MFA would stop a cold start). */
function resolveRequireMfa(read: ContextReader, fallback: boolean): boolean {
  const value = read('requireMfa');
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`requireMfa must be true or false, got "${String(value)}"`);
}

/** The functions' own check (lib/config.ts), so a wrong RP id or origin stops the synth, not a cold start. */
function resolveWebAuthn(read: ContextReader, defaults: StageDefaults): { rpId: string; webauthnOrigin: string } {
  const rpId = stringContext(read, 'rpId') ?? defaults.rpId;
  const webauthnOrigin = stringContext(read, 'webauthnOrigin') ?? defaults.webauthnOrigin;
  assertWebAuthnSettings(rpId, webauthnOrigin);
  return { rpId, webauthnOrigin };
}

/** Exact origins, https (plain http for localhost only: a developer's front end against dev). */
function resolveCorsOrigins(read: ContextReader, defaults: readonly string[]): readonly string[] {
  const value = read('corsAllowedOrigins');
  const origins = value === undefined ? defaults : String(value).split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    const rule = parseAllowedOrigin(origin);
    if (!('exact' in rule)) throw new Error(`corsAllowedOrigins: "${origin}" has a wildcard port; API Gateway's preflight needs exact origins`);
    if (!origin.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(origin)) {
      throw new Error(`corsAllowedOrigins: "${origin}" must be https:// (plain http only for localhost)`);
    }
  }
  return origins;
}

function resolveSms(read: ContextReader, defaults: StageDefaults['sms'], account: string, region: string): SmsConfig {
  const { originationIdentityResource, ...rest } = defaults;
  const originationIdentity =
    stringContext(read, 'smsOriginationIdentity') ?? `arn:aws:sms-voice:${region}:${account}:${originationIdentityResource}`;
  const arnRegion = ORIGINATION_IDENTITY_ARN.exec(originationIdentity)?.[1];
  if (arnRegion === undefined) {
    throw new Error(`smsOriginationIdentity must be the ARN of an sms-voice phone-number, pool or sender-id, got "${originationIdentity}"`);
  }
  if (arnRegion !== region) {
    throw new Error(`smsOriginationIdentity must be in the stage's region ${region} (SendTextMessage is regional), got ${arnRegion}`);
  }
  const configurationSet = stringContext(read, 'smsConfigurationSet') ?? rest.configurationSet;
  if (configurationSet !== undefined && !CONFIGURATION_SET_NAME.test(configurationSet)) {
    throw new Error(`smsConfigurationSet must be a configuration set name, got "${configurationSet}"`);
  }
  // `-c smsSandbox=false` arrives as a string, a cdk.json value as a boolean.
  const sandbox = read('smsSandbox');
  if (sandbox !== undefined && ![true, false, 'true', 'false'].includes(sandbox as never)) {
    throw new Error(`smsSandbox must be true or false, got "${String(sandbox)}"`);
  }
  return {
    originationIdentity, configurationSet, sandbox: sandbox === undefined ? rest.sandbox : sandbox === true || sandbox === 'true', budgets: rest.budgets,
  };
}
