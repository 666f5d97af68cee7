import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { createBcryptPasswordHasher } from './adapters/bcrypt/bcrypt-password-hasher.js';
import { createDynamoDocumentClient, createKmsClient, createSesClient, createSmsClient } from './adapters/aws-clients.js';
import { createEndUserMessagingSmsSender } from './adapters/sms/end-user-messaging-sms-sender.js';
import type { SendPhoneCodeDeps } from './phone/send-phone-code.js';
import type { VerifyPhoneDeps } from './phone/verify-phone.js';
import type { RequestPhoneClaimDeps } from './phone/phone-claim.js';
import type { DataKeySource } from './adapters/crypto/data-key-source.js';
import { AUTHENTICATOR_SECRET_PURPOSE, createEnvelopeFieldCipher } from './adapters/crypto/envelope-field-cipher.js';
import { createDynamoStorage } from './adapters/dynamodb/storage.js';
import { createKmsDataKeySource } from './adapters/kms/kms-data-key-source.js';
import { kmsIdentifierKeyRing } from './adapters/kms/kms-identifier-key-ring.js';
import { createLocalDataKeySource, loadLocalMasterKey } from './adapters/local/local-data-key-source.js';
import { loadLocalIdentifierKeyRing } from './adapters/local/local-identifier-key-ring.js';
import { createSesMailer } from './adapters/ses/ses-mailer.js';
import type { KMSClient } from '@aws-sdk/client-kms';
import { createKmsWrappedEs256KeySource } from './adapters/kms/kms-wrapped-signing-key.js';
import { createLocalEs256KeySource, loadLocalEs256Key } from './adapters/local/local-es256-key-source.js';
import { createAccessTokens } from './auth/access-tokens.js';
import { createAuditRecorder } from './auth/audit-recorder.js';
import { createLoginAttempts } from './auth/lockout-policy.js';
import { createSecondFactors } from './auth/second-factors.js';
import type { MfaSignInDeps } from './auth/mfa-sign-in.js';
import type { TotpEnrolmentDeps } from './auth/totp-enrolment.js';
import type { AuthenticateDeps } from './auth/authenticate.js';
import type { AccessTokens } from './auth/ports.js';
import type { ReadOwnRecordDeps } from './auth/read-own-record.js';
import type { RefreshDeps } from './auth/refresh-session.js';
import type { SignInDeps } from './auth/sign-in.js';
import type { SignOutDeps } from './auth/sign-out.js';
import type { OwnSessionsDeps } from './auth/own-sessions.js';
import { bcryptDummyHash } from './adapters/bcrypt/bcrypt-password-hasher.js';
import { ConfigError, LOCAL_MODE, type Config } from './config.js';
import type { IdempotencyStore } from './idempotency/ports.js';
import { createHmacIdentifierDigests } from './identifiers/hmac-identifier-digests.js';
import type { IdentifierDigests } from './identifiers/ports.js';
import { logger } from './logging/logger.js';
import type { DeliverMailDeps } from './outbox/deliver-mail.js';
import type { OpenLinkDeps } from './patient/open-link.js';
import type { Clock, HashingAdmission, PasswordHasher } from './patient/ports.js';
import { alwaysAdmit } from './adapters/bcrypt/hashing-gate.js';
import type { RegisterPatientDeps } from './patient/register-patient.js';
import type { RequestResendDeps } from './patient/resend-verification.js';
import type { VerifyEmailDeps } from './patient/verify-email.js';
import type { Storage } from './storage.js';
import type { CloseAccountDeps } from './record/close-account.js';
import type { ExportRecordDeps } from './record/export-record.js';
import type { MoveEmailDeps } from './record/move-email.js';
import type { MovePhoneDeps } from './record/move-phone.js';
import type { ChangePasswordDeps } from './password/change-password.js';
import type { RequestPasswordResetDeps } from './password/forgot-password.js';
import type { ResetPasswordDeps } from './password/reset-password.js';
import type { EnrolPasskeyDeps } from './passkey/enrol-passkey.js';
import type { OwnPasskeysDeps } from './passkey/own-passkeys.js';
import type { PasskeySignInDeps } from './passkey/passkey-sign-in.js';
import type { RelyingParty } from './passkey/webauthn.js';

export const systemClock: Clock = { now: () => new Date() };

let storageOverride: Partial<Storage> | undefined;
let hasherOverride: PasswordHasher | undefined;
let admissionOverride: HashingAdmission | undefined;

/**
 * Puts another store behind the handlers (the local runner's STORAGE=postgres). Call it before the
 * handlers are imported: they build their dependencies at module load. Lambda never calls it, and
 * the caller imports the other adapter dynamically, so its driver never reaches a Lambda bundle.
 */
export function useStorage(storage: Partial<Storage>): void {
  storageOverride = storage;
}

/**
 * A hasher for a process that serves many requests at once (the local server's hashing pool), and the
 * admission that keeps its queue short. Lambda uses neither: one request per instance, nothing to refuse.
 */
export function usePasswordHasher(hasher: PasswordHasher, admission?: HashingAdmission): void {
  hasherOverride = hasher;
  admissionOverride = admission;
}

/**
 * Keyed digests from the KMS HMAC key when one is configured, else (local mode only) from the local
 * key ring. Loaded on first use, so a function that never digests an identifier (verify-email) never
 * loads keys.
 */
function identifierDigests(config: Config, kms: () => KMSClient): IdentifierDigests {
  if (config.identifierKeyId) {
    return createHmacIdentifierDigests(kmsIdentifierKeyRing(kms(), config.identifierKeyId, config.identifierKeyVersions));
  }
  const file = join(process.cwd(), '.local', 'identifier-keys.json');
  return createHmacIdentifierDigests(async () => {
    if (!config.localMode) throw new ConfigError(`IDENTIFIER_KEY_ID must be set (only with ${LOCAL_MODE}=1 may a local key ring stand in)`);
    return loadLocalIdentifierKeyRing(config.localIdentifierKeys, file);
  });
}

/** One KMS client per function, built only if the function uses KMS. */
function kmsClientOf(config: Config): () => KMSClient {
  let client: KMSClient | undefined;
  return () => (client ??= createKmsClient(config));
}

function storage(config: Config, identifiers: IdentifierDigests): Storage {
  return { ...createDynamoStorage(createDynamoDocumentClient(config), config, identifiers), ...storageOverride };
}

let localKeyWarned = false;

/**
 * KMS when a key is configured; otherwise, in local mode only, the local master key, and the operator
 * is told so. loadConfig already refuses a register cold start without KMS_KEY_ID outside local mode;
 * this is the same rule where the key source is chosen, for callers that did not declare the need.
 */
function dataKeySource(config: Config, kms: () => KMSClient): DataKeySource {
  if (config.kmsKeyId) return createKmsDataKeySource(kms(), config.kmsKeyId);
  if (!config.localMode) throw new ConfigError(`KMS_KEY_ID must be set (only with ${LOCAL_MODE}=1 may a local master key stand in)`);
  // Once per process: the local server loads every handler into one process, and each asks for a key source.
  if (!localKeyWarned) logger.warn('KMS_KEY_ID is not set: patient data is encrypted with a LOCAL master key (LOCAL_MODE, development only)');
  localKeyWarned = true;
  const file = join(process.cwd(), '.local', 'master.key');
  return createLocalDataKeySource(loadLocalMasterKey(config.localMasterKey, file));
}

const mailer = (config: Config) => createSesMailer(createSesClient(config), config.mailFrom, config.serviceName);

const smsSender = (config: Config) =>
  createEndUserMessagingSmsSender(createSmsClient(config), { originationIdentity: config.smsOriginationIdentity, configurationSet: config.smsConfigurationSet });

const hasher = (config: Config) => hasherOverride ?? createBcryptPasswordHasher(config.bcryptRounds);

/**
 * ES256 access tokens. In AWS the public keys come from ACCESS_TOKEN_PUBLIC_KEYS (no call at all to
 * verify), and a signing function also gets the current private key wrapped under KMS, unwrapped on
 * its first token (one Decrypt per cold start). Only in local mode does a P-256 key file stand in for both.
 */
function accessTokens(config: Config, kms: () => KMSClient): AccessTokens {
  const options = { issuer: config.tokenIssuer, audience: config.tokenAudience };
  const published = config.accessTokenPublicKeys;
  if (published) {
    const publicKeys = published.map((jwk) => createPublicKey({ key: { ...jwk }, format: 'jwk' }));
    const { accessTokenWrappedKey: wrappedKey, accessTokenWrappingKeyId: wrappingKeyId } = config;
    return createAccessTokens({
      ...options,
      publicKeys: async () => publicKeys,
      ...(wrappedKey && wrappingKeyId && { signingKey: createKmsWrappedEs256KeySource(kms(), { wrappingKeyId, wrappedKey, kid: published[0]!.kid }) }),
    });
  }
  if (!config.localMode) throw new ConfigError(`ACCESS_TOKEN_PUBLIC_KEYS must be set (only with ${LOCAL_MODE}=1 may a local key stand in)`);
  const file = join(process.cwd(), '.local', 'access-token-key.pem');
  return createAccessTokens({ ...options, signingKey: createLocalEs256KeySource(loadLocalEs256Key(config.localAccessTokenKey, file)) });
}

/** GET /.well-known/jwks.json: the public keys only, from the same source the verifying functions use. */
export function createJwksDeps(config: Config): { tokens: Pick<AccessTokens, 'publicKeys'> } {
  return { tokens: accessTokens(config, kmsClientOf(config)) };
}

/** Admission to this process's password hashing: the local server's pool, or always (Lambda: one request per instance). */
export const hashingAdmission = (): HashingAdmission => admissionOverride ?? alwaysAdmit;

/** What every sign-in flow shares: the store's parts, the token issuer and the audit trail. */
function signInParts(config: Config) {
  const kms = kmsClientOf(config);
  const identifiers = identifierDigests(config, kms);
  const stores = storage(config, identifiers);
  return {
    kms,
    stores,
    identifiers,
    tokens: accessTokens(config, kms),
    auditor: createAuditRecorder(stores.audit, identifiers, systemClock),
    clock: systemClock,
  };
}

export type RegisterDeps = RegisterPatientDeps & { registrations: IdempotencyStore; identifiers: IdentifierDigests; admission: HashingAdmission };

export function createRegisterDeps(config: Config): RegisterDeps {
  const kms = kmsClientOf(config);
  const identifiers = identifierDigests(config, kms);
  // No mailer: the outbox mailer sends the mail the registration transaction wrote.
  const { repository, registrations, phoneCodes, audit } = storage(config, identifiers);
  return {
    repository,
    registrations,
    phoneCodes,
    auditor: createAuditRecorder(audit, identifiers, systemClock),
    identifiers,
    cipher: createEnvelopeFieldCipher(dataKeySource(config, kms)),
    hasher: hasher(config),
    clock: systemClock,
    verifyUrlBase: config.verifyUrlBase,
    registrationLapseMs: config.unverifiedLapseDays * 24 * 3600_000,
    admission: hashingAdmission(),
  };
}

/** Sign-in and verification both check a password under the lock policy and start a session. */
function passwordSessionDeps(config: Config, { stores, tokens, auditor, clock } = signInParts(config)): VerifyEmailDeps {
  return {
    repository: stores.repository, sessions: stores.sessions, attempts: createLoginAttempts(stores.loginFailures),
    hasher: hasher(config), tokens, auditor, clock,
  };
}

// Each function's own creator (the IAM test attributes SDK calls by these names on the stack).
export function createVerifyEmailDeps(config: Config): VerifyEmailDeps {
  return passwordSessionDeps(config);
}

export function createLoginDeps(config: Config): SignInDeps {
  const parts = signInParts(config);
  return {
    ...passwordSessionDeps(config, parts), identifiers: parts.identifiers, dummyHash: bcryptDummyHash(config.bcryptRounds),
    // A patient with a second factor gets an mfa_token instead of a session (issue 21).
    secondFactors: createSecondFactors(parts.stores), mfaChallenges: parts.stores.mfaChallenges,
    // A passkey holder's mfa_required carries request options for their own passkeys (no store write: the challenge is the mfa_token's).
    passkeys: parts.stores.passkeys, relyingParty: relyingParty(config),
  };
}

export function createRefreshDeps(config: Config): RefreshDeps {
  const { stores, identifiers, tokens, auditor, clock } = signInParts(config);
  return { sessions: stores.sessions, repository: stores.repository, tokens, auditor, identifiers, clock };
}

export function createLogoutDeps(config: Config): SignOutDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return { sessions: stores.sessions, tokens, auditor, clock };
}

/** The patient's own record: its reads, its decryption and (PATCH) a fresh data key to re-encrypt. */
function ownRecordParts(config: Config): ReadOwnRecordDeps & AuthenticateDeps {
  const { kms, stores, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, sessions: stores.sessions, cipher: createEnvelopeFieldCipher(dataKeySource(config, kms)), tokens, auditor, clock,
    requireMfa: config.requireMfa,
  };
}

/** GET /me. Its own factory (not shared with PATCH): each function's AWS calls are recorded by the factory that built its clients. */
export function createMeDeps(config: Config) {
  return ownRecordParts(config);
}

/** PATCH /me. */
export function createMeUpdateDeps(config: Config) {
  return ownRecordParts(config);
}

/** The patient's sessions (issue 20): each route its own factory, so the IAM test attributes its calls. */
function ownSessionsParts(config: Config): OwnSessionsDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return { sessions: stores.sessions, tokens, auditor, clock };
}

/** GET /me/sessions. */
export function createMeSessionsDeps(config: Config) {
  return ownSessionsParts(config);
}

/** DELETE /me/sessions/{id}. */
export function createMeSessionEndDeps(config: Config) {
  return ownSessionsParts(config);
}

/** POST /me/sessions/revoke-others. */
export function createMeSessionsRevokeOthersDeps(config: Config) {
  return ownSessionsParts(config);
}

/**
 * GET /me/export: GET /me's parts (the record and its decryption), the session list and the audit
 * trail read back, for the caller's own events (the only function that reads the trail).
 */
export function createMeExportDeps(config: Config): ExportRecordDeps & AuthenticateDeps {
  const { kms, stores, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, sessions: stores.sessions, cipher: createEnvelopeFieldCipher(dataKeySource(config, kms)), trail: stores.audit,
    tokens, auditor, clock, secondFactors: createSecondFactors(stores), requireMfa: config.requireMfa,
  };
}

export function createResendVerificationDeps(config: Config): RequestResendDeps {
  const identifiers = identifierDigests(config, kmsClientOf(config));
  const { outbox, rateLimiter } = storage(config, identifiers);
  return { outbox, rateLimiter, identifiers, clock: systemClock };
}

export function createMailerDeps(config: Config): DeliverMailDeps {
  const identifiers = identifierDigests(config, kmsClientOf(config));
  const { outbox, repository, phoneCodes, rateLimiter } = storage(config, identifiers);
  return {
    outbox, repository, identifiers, mailer: mailer(config), sms: smsSender(config), clock: systemClock, verifyUrlBase: config.verifyUrlBase, resetUrlBase: config.resetUrlBase,
    // A phone claim request (issue 19 item 4) becomes a claim code: its store and the day's text budgets.
    phoneCodes, rateLimiter, smsBudgets: smsBudgets(config),
  };
}

/** POST /phone-claim only counts the request and queues it: the outbox mailer decides whether a code goes out. */
export function createPhoneClaimDeps(config: Config): RequestPhoneClaimDeps {
  const identifiers = identifierDigests(config, kmsClientOf(config));
  const { outbox, rateLimiter } = storage(config, identifiers);
  return { outbox, rateLimiter, identifiers, clock: systemClock };
}

/** POST /phone/verification only writes the code and queues its SMS: the outbox mailer sends it. */
export function createPhoneVerificationDeps(config: Config): SendPhoneCodeDeps & AuthenticateDeps {
  const kms = kmsClientOf(config);
  const identifiers = identifierDigests(config, kms);
  const stores = storage(config, identifiers);
  return {
    repository: stores.repository, phoneCodes: stores.phoneCodes, rateLimiter: stores.rateLimiter, identifiers, sessions: stores.sessions,
    auditor: createAuditRecorder(stores.audit, identifiers, systemClock), tokens: accessTokens(config, kms), clock: systemClock,
    smsBudgets: smsBudgets(config),
  };
}

const smsBudgets = (config: Config) => ({
  daily: config.smsDailyBudget, countryDaily: config.smsCountryDailyBudget, countries: config.smsCountryBudgets, shards: config.smsBudgetShards,
});

export function createPhoneVerifyDeps(config: Config): VerifyPhoneDeps & AuthenticateDeps {
  const kms = kmsClientOf(config);
  const identifiers = identifierDigests(config, kms);
  const stores = storage(config, identifiers);
  return {
    repository: stores.repository, phoneCodes: stores.phoneCodes, identifiers, sessions: stores.sessions,
    auditor: createAuditRecorder(stores.audit, identifiers, systemClock), tokens: accessTokens(config, kms), clock: systemClock,
  };
}

export function createPasswordForgotDeps(config: Config): RequestPasswordResetDeps {
  const identifiers = identifierDigests(config, kmsClientOf(config));
  const { outbox, rateLimiter } = storage(config, identifiers);
  return { outbox, rateLimiter, identifiers, clock: systemClock };
}

/** No access-token keys: a reset does not sign in (the patient signs in next, with the new password). */
export function createPasswordResetDeps(config: Config): ResetPasswordDeps {
  const identifiers = identifierDigests(config, kmsClientOf(config));
  const stores = storage(config, identifiers);
  return {
    repository: stores.repository, hasher: hasher(config), attempts: createLoginAttempts(stores.loginFailures),
    auditor: createAuditRecorder(stores.audit, identifiers, systemClock), clock: systemClock,
  };
}

export function createPasswordChangeDeps(config: Config): ChangePasswordDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, hasher: hasher(config), sessions: stores.sessions, attempts: createLoginAttempts(stores.loginFailures),
    tokens, auditor, clock, secondFactors: createSecondFactors(stores),
  };
}

/**
 * The link pages (GET) read a link's state and nothing else: the repository, no keys. Identifier
 * digests are never asked for (no email is looked up) and the stack gives these functions no
 * IDENTIFIER_KEY_ID, so no KMS client is built.
 */
function linkPageDeps(config: Config): OpenLinkDeps {
  const { repository } = storage(config, identifierDigests(config, kmsClientOf(config)));
  return { repository, clock: systemClock };
}

export function createVerifyEmailPageDeps(config: Config): OpenLinkDeps {
  return linkPageDeps(config);
}

export function createPasswordResetPageDeps(config: Config): OpenLinkDeps {
  return linkPageDeps(config);
}

/** Authenticator secrets: the patient data key's envelope under their own purpose (no grant here opens PHI). */
const authenticatorSecrets = (config: Config, kms: () => KMSClient) => createEnvelopeFieldCipher(dataKeySource(config, kms), AUTHENTICATOR_SECRET_PURPOSE);

/** The authenticator app's routes (issue 21): the secret's data key, the identifier keys, the TOTP item, the sessions. */
function totpParts(config: Config): TotpEnrolmentDeps & AuthenticateDeps {
  const { kms, stores, identifiers, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, sessions: stores.sessions, totp: stores.totp, cipher: authenticatorSecrets(config, kms),
    identifiers, attempts: createLoginAttempts(stores.loginFailures), secondFactors: createSecondFactors(stores),
    tokens, auditor, clock, serviceName: config.serviceName,
  };
}

/** POST /me/totp. */
export function createMeTotpDeps(config: Config) {
  return totpParts(config);
}

/** POST /me/totp/confirm. */
export function createMeTotpConfirmDeps(config: Config) {
  return totpParts(config);
}

/** DELETE /me/totp. */
export function createMeTotpRemoveDeps(config: Config) {
  return totpParts(config);
}

/** POST /login/mfa: the second step signs in, so the signing function's parts, the secret's decryption and the passkeys. */
export function createLoginMfaDeps(config: Config): MfaSignInDeps {
  const { kms, stores, identifiers, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, sessions: stores.sessions, totp: stores.totp, mfaChallenges: stores.mfaChallenges,
    cipher: authenticatorSecrets(config, kms), identifiers, attempts: createLoginAttempts(stores.loginFailures),
    // Or a passkey's assertion over the mfa_token's challenge: the credential found, its counter moved forward.
    passkeys: stores.passkeys, relyingParty: relyingParty(config),
    tokens, auditor, clock,
  };
}

/** POST /me/close: the password change's parts (the same per-session throttle), for the close's one transaction. */
export function createMeCloseDeps(config: Config): CloseAccountDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, hasher: hasher(config), sessions: stores.sessions, attempts: createLoginAttempts(stores.loginFailures),
    tokens, auditor, clock, secondFactors: createSecondFactors(stores),
  };
}

/**
 * The email move's three functions (issue 20): the request (a password check under the session's
 * lock schedule, then one write or an outbox item), the confirmation (Bearer, or the page's form with
 * the password) and the link's page (a read). The link points at the page (EMAIL_MOVE_URL_BASE).
 */
function emailMoveDeps(config: Config): MoveEmailDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, contactMoves: stores.contactMoves, outbox: stores.outbox, rateLimiter: stores.rateLimiter, hasher: hasher(config), sessions: stores.sessions,
    attempts: createLoginAttempts(stores.loginFailures), tokens, auditor, clock, emailMoveUrlBase: config.emailMoveUrlBase,
    secondFactors: createSecondFactors(stores),
  };
}

// Each function's own name on the stack (test/support/record-aws-calls.ts attributes the clients by it).
export function createMeEmailDeps(config: Config): MoveEmailDeps & AuthenticateDeps {
  return emailMoveDeps(config);
}

export function createMeEmailConfirmDeps(config: Config): MoveEmailDeps & AuthenticateDeps {
  return emailMoveDeps(config);
}

/** The move link's page: its state and nothing else (no keys: the link's token is hashed, never digested). */
export function createMeEmailConfirmPageDeps(config: Config): Pick<MoveEmailDeps, 'contactMoves' | 'clock'> {
  const { contactMoves } = storage(config, identifierDigests(config, kmsClientOf(config)));
  return { contactMoves, clock: systemClock };
}

/**
 * The phone move's two functions (issue 20): the request (a password check under the session's lock
 * schedule, then the phone verification's own code issuing) and the code's use (one transaction).
 */
function phoneMoveDeps(config: Config): MovePhoneDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock, identifiers } = signInParts(config);
  return {
    repository: stores.repository, phoneCodes: stores.phoneCodes, rateLimiter: stores.rateLimiter, identifiers, sessions: stores.sessions,
    hasher: hasher(config), attempts: createLoginAttempts(stores.loginFailures), auditor, tokens, clock, smsBudgets: smsBudgets(config),
    secondFactors: createSecondFactors(stores),
  };
}

export function createMePhoneDeps(config: Config): MovePhoneDeps & AuthenticateDeps {
  return phoneMoveDeps(config);
}

export function createMePhoneVerifyDeps(config: Config): MovePhoneDeps & AuthenticateDeps {
  return phoneMoveDeps(config);
}

/** Passkeys (issue 21): the stage's relying party, from RP_ID, WEBAUTHN_ORIGIN and the service's name. */
const relyingParty = (config: Config): RelyingParty => ({ rpId: config.rpId, origin: config.webauthnOrigin, name: config.serviceName });

function passkeyEnrolParts(config: Config): EnrolPasskeyDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return {
    repository: stores.repository, passkeys: stores.passkeys, sessions: stores.sessions, secondFactors: createSecondFactors(stores),
    relyingParty: relyingParty(config), tokens, auditor, clock,
  };
}

/** POST /me/passkeys/options. */
export function createPasskeyEnrolOptionsDeps(config: Config) {
  return passkeyEnrolParts(config);
}

/** POST /me/passkeys. */
export function createPasskeyEnrolDeps(config: Config) {
  return passkeyEnrolParts(config);
}

function ownPasskeysParts(config: Config): OwnPasskeysDeps & AuthenticateDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return { repository: stores.repository, passkeys: stores.passkeys, sessions: stores.sessions, secondFactors: createSecondFactors(stores), tokens, auditor, clock };
}

/** GET /me/passkeys. */
export function createPasskeyListDeps(config: Config) {
  return ownPasskeysParts(config);
}

/** DELETE /me/passkeys/{id}. */
export function createPasskeyRemoveDeps(config: Config) {
  return ownPasskeysParts(config);
}

/**
 * POST /login/passkey/options: stores a challenge and nothing else. No keys of any kind: no
 * identifier is digested (no audit event: nobody is named) and no token is issued.
 */
export function createPasskeyLoginOptionsDeps(config: Config): Pick<PasskeySignInDeps, 'passkeys' | 'relyingParty' | 'clock'> {
  const { passkeys } = storage(config, identifierDigests(config, kmsClientOf(config)));
  return { passkeys, relyingParty: relyingParty(config), clock: systemClock };
}

/** POST /login/passkey: a signing function, like POST /login. */
export function createPasskeyLoginDeps(config: Config): PasskeySignInDeps {
  const { stores, tokens, auditor, clock } = signInParts(config);
  return { repository: stores.repository, passkeys: stores.passkeys, sessions: stores.sessions, relyingParty: relyingParty(config), tokens, auditor, clock };
}
