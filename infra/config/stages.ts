import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

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
  readonly reservedConcurrency: ReservedConcurrency;
  /** Sender address (MAIL_FROM); an SES email identity is created for it. */
  readonly mailFrom: string;
  /**
   * Base of the link in the verification email. Undefined: the API's own
   * `GET /api/v1/patient/verify-email` page is used.
   */
  readonly verifyUrlBase: string | undefined;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Optional e-mail subscribed to the alarm topic (confirmation mail goes to it on deploy). */
  readonly alarmEmail: string | undefined;
  /**
   * Versions of the identifier HMAC keys derived from the stage's KMS HMAC key, current first
   * (IDENTIFIER_KEY_VERSIONS). Rotation: append the new version and deploy; once every instance runs
   * that deploy, move it first and deploy again. Never drop a version reservations were written under.
   */
  readonly identifierKeyVersions: readonly string[];
}

type StageDefaults = Omit<StageConfig, 'stage' | 'account' | 'region'>;

/**
 * The outbox mailer in every stage: one stream shard batch plus one sweep at a time. Kept at 2
 * so that a slow or failing SES cannot fan the mailer out (each run holds a 60 s send lease).
 */
export const OUTBOX_MAILER_CONCURRENCY = 2;

/**
 * What differs per stage. Sender addresses are placeholders on example.com: set the
 * real ones here or override per deploy with `-c mailFrom=... -c verifyUrlBase=...`.
 */
export const STAGE_DEFAULTS: Readonly<Record<StageName, StageDefaults>> = {
  dev: {
    tableRemovalPolicy: RemovalPolicy.DESTROY,
    tableDeletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    apiThrottle: { rateLimit: 10, burstLimit: 20 },
    wafRateLimitPerIp: { limit: 100, window: Duration.minutes(5) },
    reservedConcurrency: { default: 2, register: 5, 'outbox-mailer': OUTBOX_MAILER_CONCURRENCY },
    identifierKeyVersions: ['v1'],
    mailFrom: 'no-reply@dev.patients.example.com',
    verifyUrlBase: undefined,
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
    reservedConcurrency: { default: 5, register: 10, 'outbox-mailer': OUTBOX_MAILER_CONCURRENCY },
    identifierKeyVersions: ['v1'],
    mailFrom: 'no-reply@staging.patients.example.com',
    verifyUrlBase: undefined,
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
    // 50 concurrent bcrypt hashes at ~0.5 s each is ~100 registrations/s: far above
    // any plausible signup rate, low enough to cap the bill during an attack.
    reservedConcurrency: { default: 20, register: 50, 'outbox-mailer': OUTBOX_MAILER_CONCURRENCY },
    identifierKeyVersions: ['v1'],
    mailFrom: 'no-reply@patients.example.com',
    verifyUrlBase: undefined,
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
  return {
    ...defaults,
    stage,
    account: stringContext(read, 'account') ?? env.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT,
    region: stringContext(read, 'region') ?? env.CDK_DEFAULT_REGION ?? PLACEHOLDER_REGION,
    mailFrom: stringContext(read, 'mailFrom') ?? defaults.mailFrom,
    verifyUrlBase,
    alarmEmail: stringContext(read, 'alarmEmail') ?? defaults.alarmEmail,
  };
}
