import { DEFAULT_OUTBOX_SHARDS, MAX_OUTBOX_SHARDS } from './adapters/dynamodb/keys.js';
import { KEY_VERSION } from './identifiers/hmac-identifier-digests.js';

/**
 * Environment read once at cold start into a typed, frozen object.
 * A bad value fails the start loudly instead of the first request quietly.
 */
export interface Config {
  /**
   * LOCAL_MODE=1: a developer's machine or a test run (`npm start`, the tests and the bench set it).
   * Only then may settings fall back to local defaults, and only then may a local master key stand in
   * for KMS. Anywhere else (Lambda, a container, an EC2 host) a missing setting fails the start.
   */
  readonly localMode: boolean;
  readonly tableName: string;
  /**
   * The tables some item families live in (lib/adapters/dynamodb/placement.ts): IDENTITY_TABLE_NAME,
   * TOKEN_TABLE_NAME, OUTBOX_TABLE_NAME. Locally each falls back to TABLE_NAME (one table); in AWS
   * each must be set, since a function quietly writing to the wrong table would split its data.
   */
  readonly identityTableName: string;
  readonly tokenTableName: string;
  readonly outboxTableName: string;
  /** The audit trail's own table (6-year retention, PutItem only for the functions). */
  readonly auditTableName: string;
  /** KMS key for the patient-data envelope; may be unset in local mode only, where a local master key wraps data keys. */
  readonly kmsKeyId: string | undefined;
  readonly localMasterKey: string | undefined;
  /** KMS HMAC key the identifier digests derive from; unset locally, where IDENTIFIER_KEYS (or a file) holds them. */
  readonly identifierKeyId: string | undefined;
  /** Key versions derived from it, current first (rotation: add the new one last, later move it first). */
  readonly identifierKeyVersions: readonly string[];
  readonly localIdentifierKeys: string | undefined;
  /**
   * ACCESS_TOKEN_PUBLIC_KEYS: the JWKS (`{"keys":[…]}`) of every key whose access tokens are accepted,
   * the current signing key's first; what GET /.well-known/jwks.json publishes. Unset locally, where
   * the key file's public half is the one key.
   */
  readonly accessTokenPublicKeys: readonly AccessTokenPublicJwk[] | undefined;
  /**
   * The current signing key's private JWK as KMS ciphertext (ACCESS_TOKEN_SIGNING_KEY, base64) and the
   * symmetric KMS key that unwraps it (ACCESS_TOKEN_WRAPPING_KEY_ID): set for the signing functions only.
   */
  readonly accessTokenWrappedKey: string | undefined;
  readonly accessTokenWrappingKeyId: string | undefined;
  readonly localAccessTokenKey: string | undefined;
  /** `iss` and `aud` of access tokens, per stage: a token from one stage is refused by another. */
  readonly tokenIssuer: string;
  readonly tokenAudience: string;
  readonly mailFrom: string;
  /** The name pages and mails carry, and the mails' sender display name (SERVICE_NAME, per stage). */
  readonly serviceName: string;
  readonly verifyUrlBase: string;
  /** Where the password-reset mail's link points (the page of GET /password/reset); RESET_URL_BASE. */
  readonly resetUrlBase: string;
  /** Where the email-move mail's link points (the page of GET /me/email/confirm); EMAIL_MOVE_URL_BASE. */
  readonly emailMoveUrlBase: string;
  readonly bcryptRounds: number;
  /** Days an unverified registration holds its email and phone before it lapses (UNVERIFIED_LAPSE_DAYS). */
  readonly unverifiedLapseDays: number;
  /**
   * Shards of the outbox's due index (OUTBOX_SHARDS, 1 to 256, default 32; lib/adapters/dynamodb/keys.ts).
   * Every function of a stage must run the same figure; raise it, never lower it while items are due
   * (items in a dropped shard would wait for no sweep).
   */
  readonly outboxShards: number;
  readonly region: string;
  readonly dynamodbEndpoint: string | undefined;
  readonly sesEndpoint: string | undefined;
  /** Who SMS come from: a phone number, sender id, or a phone pool's id/ARN (AWS End User Messaging SMS). */
  readonly smsOriginationIdentity: string;
  /** Optional configuration set (event destinations for delivery receipts). */
  readonly smsConfigurationSet: string | undefined;
  /** Locally the SMS inbox (lib/local/sms-inbox.ts); unset in AWS. */
  readonly smsEndpoint: string | undefined;
  /** Texts the whole service may send per UTC day (SMS_DAILY_BUDGET): the cap on an SMS-pumping bill. */
  readonly smsDailyBudget: number;
  /**
   * Texts per destination country per UTC day (SMS_COUNTRY_DAILY_BUDGET), and per-country exceptions
   * (SMS_COUNTRY_BUDGETS, e.g. `US=2000,GB=300`; countries as ISO 3166-1 alpha-2, or `+<calling code>`
   * for a number no country claims).
   */
  readonly smsCountryDailyBudget: number;
  readonly smsCountryBudgets: Readonly<Record<string, number>>;
  /**
   * Counters each text budget is split over (SMS_BUDGET_SHARDS, 1 to 256, default 16;
   * lib/phone/sms-budget.ts `budgetShards`): one counter is one partition for every text of the
   * service. Change it between UTC days: a lower figure mid-day forgets what the dropped shards counted.
   */
  readonly smsBudgetShards: number;
  /**
   * REQUIRE_MFA=true (a clinic's choice, per stage; off by default): GET /me, PATCH /me and every
   * route that discloses the record refuse a sign-in below AAL2 with the step-up 401 (issue 21).
   */
  readonly requireMfa: boolean;
  /**
   * Passkeys (WebAuthn): the relying party id (RP_ID, the site's registrable domain, e.g.
   * `clinic.example`) and the one origin pages run on (WEBAUTHN_ORIGIN, e.g. `https://app.clinic.example`).
   * A passkey is bound to the RP id: changing it strands every enrolled passkey of the stage.
   */
  readonly rpId: string;
  readonly webauthnOrigin: string;
}

/** One public key of ACCESS_TOKEN_PUBLIC_KEYS, checked at start to be an EC P-256 public key and nothing more. */
export interface AccessTokenPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
}

export const MIN_BCRYPT_ROUNDS = 12;
const MAX_BCRYPT_ROUNDS = 15;
export const DEFAULT_UNVERIFIED_LAPSE_DAYS = 7;
/**
 * At least a day: longer than the 24 h an idempotency record keeps a registration's 201, so a
 * replayed answer never names a registration that has lapsed. At most 90: a squatter's hold stays short.
 */
const MIN_UNVERIFIED_LAPSE_DAYS = 1;
const MAX_UNVERIFIED_LAPSE_DAYS = 90;

export const DEFAULT_SERVICE_NAME = 'Patient Registration';
/** Printable text without line breaks (it goes into a mail header), short enough for a page header. */
const SERVICE_NAME_PATTERN = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,64}$/u;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** What a function uses beyond the table: outside local mode, only these settings become mandatory. */
export type ConfigNeed = 'encryption' | 'mail' | 'identifiers' | 'tokens' | 'sms' | 'sms-budget'
  /** Issues access tokens (login, refresh, email verification): the wrapped signing key and its KMS key. */
  | 'token-signing'
  /** Writes password-reset links (the outbox mailer): register mails too, but never a reset link. */
  | 'reset-links'
  /** Writes email-move links (POST /me/email). */
  | 'email-move-links'
  /** Enrols or checks passkeys (WebAuthn): the RP id and the origin the browser signs. */
  | 'passkeys';

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

export const LOCAL_MODE = 'LOCAL_MODE';

export function loadConfig(env: Env = process.env, needs: readonly ConfigNeed[] = []): Config {
  const localMode = parseLocalMode(nonEmpty(env[LOCAL_MODE]));
  // A deployed function with local defaults would encrypt patient data with a key file: refuse it.
  if (localMode && nonEmpty(env.AWS_LAMBDA_FUNCTION_NAME) !== undefined) {
    throw new ConfigError(`${LOCAL_MODE} must not be set in Lambda`);
  }
  // Outside local mode nothing a function uses may fall back to a default: a missing value is a deployment bug.
  const read = (name: string, localDefault: string, need?: ConfigNeed): string => {
    const value = nonEmpty(env[name]);
    if (value !== undefined) return value;
    if (!localMode && (need === undefined || needs.includes(need))) {
      throw new ConfigError(`${name} must be set (only with ${LOCAL_MODE}=1 does it fall back to a local default)`);
    }
    return localDefault;
  };

  const port = nonEmpty(env.PORT) ?? '3000';
  const tableName = read('TABLE_NAME', 'patients');
  const config: Config = {
    localMode,
    tableName,
    // Locally one table unless named: the placed tables default to the patient table.
    identityTableName: read('IDENTITY_TABLE_NAME', tableName),
    tokenTableName: read('TOKEN_TABLE_NAME', tableName),
    outboxTableName: read('OUTBOX_TABLE_NAME', tableName),
    auditTableName: read('AUDIT_TABLE_NAME', 'patient-audit'),
    kmsKeyId: !localMode && needs.includes('encryption') ? read('KMS_KEY_ID', '', 'encryption') : nonEmpty(env.KMS_KEY_ID),
    localMasterKey: nonEmpty(env.LOCAL_MASTER_KEY),
    identifierKeyId: !localMode && needs.includes('identifiers') ? read('IDENTIFIER_KEY_ID', '', 'identifiers') : nonEmpty(env.IDENTIFIER_KEY_ID),
    identifierKeyVersions: parseKeyVersions(nonEmpty(env.IDENTIFIER_KEY_VERSIONS) ?? 'v1'),
    localIdentifierKeys: nonEmpty(env.IDENTIFIER_KEYS),
    accessTokenPublicKeys: parsePublicKeys(!localMode && needs.includes('tokens') ? read('ACCESS_TOKEN_PUBLIC_KEYS', '', 'tokens') : nonEmpty(env.ACCESS_TOKEN_PUBLIC_KEYS)),
    accessTokenWrappedKey: !localMode && needs.includes('token-signing') ? read('ACCESS_TOKEN_SIGNING_KEY', '', 'token-signing') : nonEmpty(env.ACCESS_TOKEN_SIGNING_KEY),
    accessTokenWrappingKeyId: !localMode && needs.includes('token-signing')
      ? read('ACCESS_TOKEN_WRAPPING_KEY_ID', '', 'token-signing')
      : nonEmpty(env.ACCESS_TOKEN_WRAPPING_KEY_ID),
    localAccessTokenKey: nonEmpty(env.LOCAL_ACCESS_TOKEN_KEY),
    tokenIssuer: read('TOKEN_ISSUER', `http://localhost:${port}`, 'tokens'),
    tokenAudience: read('TOKEN_AUDIENCE', 'patient-api', 'tokens'),
    mailFrom: read('MAIL_FROM', 'no-reply@patient-registration.local', 'mail'),
    serviceName: readServiceName(env),
    verifyUrlBase: read('VERIFY_URL_BASE', `http://localhost:${port}/api/v1/patient/verify-email`, 'mail'),
    resetUrlBase: read('RESET_URL_BASE', `http://localhost:${port}/api/v1/patient/password/reset`, 'reset-links'),
    emailMoveUrlBase: read('EMAIL_MOVE_URL_BASE', `http://localhost:${port}/api/v1/patient/me/email/confirm`, 'email-move-links'),
    bcryptRounds: parseBcryptRounds(nonEmpty(env.BCRYPT_ROUNDS)),
    unverifiedLapseDays: parseLapseDays(nonEmpty(env.UNVERIFIED_LAPSE_DAYS)),
    outboxShards: readOutboxShards(env),
    // Lambda always sets AWS_REGION; a host that does not must not silently send patient data to us-east-1.
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? read('AWS_REGION', 'us-east-1'),
    dynamodbEndpoint: nonEmpty(env.DYNAMODB_ENDPOINT),
    sesEndpoint: nonEmpty(env.SES_ENDPOINT),
    smsOriginationIdentity: read('SMS_ORIGINATION_IDENTITY', 'PatientPortal', 'sms'),
    smsConfigurationSet: nonEmpty(env.SMS_CONFIGURATION_SET),
    smsEndpoint: nonEmpty(env.SMS_ENDPOINT),
    smsDailyBudget: parseBudget('SMS_DAILY_BUDGET', read('SMS_DAILY_BUDGET', '5000', 'sms-budget')),
    smsCountryDailyBudget: parseBudget('SMS_COUNTRY_DAILY_BUDGET', read('SMS_COUNTRY_DAILY_BUDGET', '1000', 'sms-budget')),
    smsCountryBudgets: parseCountryBudgets(nonEmpty(env.SMS_COUNTRY_BUDGETS) ?? ''),
    smsBudgetShards: readSmsBudgetShards(env),
    requireMfa: parseRequireMfa(nonEmpty(env.REQUIRE_MFA)),
    rpId: read('RP_ID', 'localhost', 'passkeys'),
    webauthnOrigin: read('WEBAUTHN_ORIGIN', `http://localhost:${port}`, 'passkeys'),
  };
  if ((config.accessTokenWrappedKey === undefined) !== (config.accessTokenWrappingKeyId === undefined)) {
    throw new ConfigError('ACCESS_TOKEN_SIGNING_KEY and ACCESS_TOKEN_WRAPPING_KEY_ID must be set together');
  }
  if (config.accessTokenWrappedKey !== undefined && config.accessTokenPublicKeys === undefined) {
    throw new ConfigError('ACCESS_TOKEN_SIGNING_KEY needs ACCESS_TOKEN_PUBLIC_KEYS (its kid is the first key\'s)');
  }
  assertUrl('VERIFY_URL_BASE', config.verifyUrlBase);
  assertUrl('RESET_URL_BASE', config.resetUrlBase);
  assertUrl('EMAIL_MOVE_URL_BASE', config.emailMoveUrlBase);
  assertWebAuthnSettings(config.rpId, config.webauthnOrigin);
  if (!/^[^@\s]+@[^@\s]+$/.test(config.mailFrom)) throw new ConfigError('MAIL_FROM must be an email address');
  return Object.freeze(config);
}

/** REQUIRE_MFA: `true` or `false` (unset: false). Anything else fails the start rather than guess. */
function parseRequireMfa(raw: string | undefined): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(`REQUIRE_MFA must be true or false, got "${raw}"`);
}

/**
 * SERVICE_NAME alone, for the functions that only render a page (they read no other setting). Not
 * mandatory outside local mode: a page under the default name is no deployment bug worth a failed start.
 */
export function readServiceName(env: Env = process.env): string {
  const name = nonEmpty(env.SERVICE_NAME) ?? DEFAULT_SERVICE_NAME;
  if (!SERVICE_NAME_PATTERN.test(name)) throw new ConfigError('SERVICE_NAME must be 1 to 64 characters without control characters or line breaks');
  return name;
}

/**
 * ACCESS_TOKEN_PUBLIC_KEYS as a JWKS of EC P-256 public keys, each with its kid. A private member
 * (`d`) fails the start: this value is published and readable by every function, so a private key
 * here would be a deployment bug of the worst kind.
 */
function parsePublicKeys(raw: string | undefined): AccessTokenPublicJwk[] | undefined {
  if (raw === undefined) return undefined;
  const refuse = (why: string) => new ConfigError(`ACCESS_TOKEN_PUBLIC_KEYS must be a JWKS of EC P-256 public keys with a kid: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw refuse('not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw refuse('no keys');
  return keys.map((key: Record<string, unknown>) => {
    if (typeof key !== 'object' || key === null || 'd' in key) throw refuse('a key is not a public key');
    const { kty, crv, x, y, kid } = key;
    if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string' || typeof kid !== 'string' || !kid) throw refuse('a key is not an EC P-256 key with a kid');
    return { kty, crv, x, y, kid };
  });
}

function parseKeyVersions(raw: string): string[] {
  const versions = raw.split(',').map((v) => v.trim());
  if (versions.some((v) => !KEY_VERSION.test(v)) || new Set(versions).size !== versions.length) {
    throw new ConfigError(`IDENTIFIER_KEY_VERSIONS must list distinct versions such as "v2,v1", got "${raw}"`);
  }
  return versions;
}

/** Only an explicit 1 (or true) turns local mode on; a typo must not, and must not pass silently either. */
function parseLocalMode(raw: string | undefined): boolean {
  if (raw === undefined || raw === '0' || raw.toLowerCase() === 'false') return false;
  if (raw === '1' || raw.toLowerCase() === 'true') return true;
  throw new ConfigError(`${LOCAL_MODE} must be 1 or unset, got "${raw}"`);
}

function parseBcryptRounds(raw: string | undefined): number {
  if (raw === undefined) return MIN_BCRYPT_ROUNDS;
  const rounds = Number(raw);
  if (!Number.isInteger(rounds) || rounds < MIN_BCRYPT_ROUNDS || rounds > MAX_BCRYPT_ROUNDS) {
    throw new ConfigError(
      `BCRYPT_ROUNDS must be an integer from ${MIN_BCRYPT_ROUNDS} to ${MAX_BCRYPT_ROUNDS}, got "${raw}"`,
    );
  }
  return rounds;
}

function parseLapseDays(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_UNVERIFIED_LAPSE_DAYS;
  const days = Number(raw);
  if (!/^\d+$/.test(raw) || days < MIN_UNVERIFIED_LAPSE_DAYS || days > MAX_UNVERIFIED_LAPSE_DAYS) {
    throw new ConfigError(
      `UNVERIFIED_LAPSE_DAYS must be a whole number of days from ${MIN_UNVERIFIED_LAPSE_DAYS} to ${MAX_UNVERIFIED_LAPSE_DAYS}, got "${raw}"`,
    );
  }
  return days;
}

/** OUTBOX_SHARDS alone, so the CDK app checks a stage's figure as a cold start would. */
export function readOutboxShards(env: Env = process.env): number {
  const raw = nonEmpty(env.OUTBOX_SHARDS);
  if (raw === undefined) return DEFAULT_OUTBOX_SHARDS;
  const shards = Number(raw);
  if (!/^\d+$/.test(raw) || shards < 1 || shards > MAX_OUTBOX_SHARDS) {
    throw new ConfigError(`OUTBOX_SHARDS must be a whole number from 1 to ${MAX_OUTBOX_SHARDS}, got "${raw}"`);
  }
  return shards;
}

export const DEFAULT_SMS_BUDGET_SHARDS = 16;
export const MAX_SMS_BUDGET_SHARDS = 256;

/** SMS_BUDGET_SHARDS alone, so the CDK app checks a stage's figure as a cold start would. */
export function readSmsBudgetShards(env: Env = process.env): number {
  const raw = nonEmpty(env.SMS_BUDGET_SHARDS);
  if (raw === undefined) return DEFAULT_SMS_BUDGET_SHARDS;
  const shards = Number(raw);
  if (!/^\d+$/.test(raw) || shards < 1 || shards > MAX_SMS_BUDGET_SHARDS) {
    throw new ConfigError(`SMS_BUDGET_SHARDS must be a whole number from 1 to ${MAX_SMS_BUDGET_SHARDS}, got "${raw}"`);
  }
  return shards;
}

function parseBudget(name: string, raw: string): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new ConfigError(`${name} must be a whole number of texts, at least 1, got "${raw}"`);
  return Number(raw);
}

const COUNTRY_BUDGET = /^([A-Z]{2}|\+[1-9]\d{0,2})=(\d{1,9})$/;

function parseCountryBudgets(raw: string): Record<string, number> {
  const budgets: Record<string, number> = {};
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = COUNTRY_BUDGET.exec(entry);
    if (!match) throw new ConfigError(`SMS_COUNTRY_BUDGETS must list entries such as "US=2000,GB=300,+882=0", got "${entry}"`);
    budgets[match[1]!] = Number(match[2]);
  }
  return budgets;
}

function assertUrl(name: string, value: string): void {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL`);
  }
}

/**
 * RP_ID is a bare host name; WEBAUTHN_ORIGIN an origin (scheme, host, port, nothing else) whose host
 * is RP_ID or under it, https except on localhost (WebAuthn's own rules: a browser refuses otherwise,
 * so a stage set up wrongly fails its start, not every patient's enrolment).
 */
export function assertWebAuthnSettings(rpId: string, origin: string): void {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rpId)) throw new ConfigError('RP_ID must be a lower-case host name (no scheme, port or path)');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new ConfigError('WEBAUTHN_ORIGIN must be an origin such as https://app.clinic.example');
  }
  if (url.origin !== origin) throw new ConfigError('WEBAUTHN_ORIGIN must be an origin alone (scheme, host and port; no path or trailing slash)');
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) throw new ConfigError('WEBAUTHN_ORIGIN\'s host must be RP_ID or a name under it');
  if (url.protocol !== 'https:' && url.hostname !== 'localhost') throw new ConfigError('WEBAUTHN_ORIGIN must use https (only localhost may use http)');
}
