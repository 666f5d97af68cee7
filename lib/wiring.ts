import { join } from 'node:path';
import { createBcryptPasswordHasher } from './adapters/bcrypt/bcrypt-password-hasher.js';
import { createDynamoDocumentClient, createKmsClient, createSesClient } from './adapters/aws-clients.js';
import type { DataKeySource } from './adapters/crypto/data-key-source.js';
import { createEnvelopeFieldCipher } from './adapters/crypto/envelope-field-cipher.js';
import { createDynamoStorage } from './adapters/dynamodb/storage.js';
import { createKmsDataKeySource } from './adapters/kms/kms-data-key-source.js';
import { createLocalDataKeySource, loadLocalMasterKey } from './adapters/local/local-data-key-source.js';
import { createSesMailer } from './adapters/ses/ses-mailer.js';
import { ConfigError, LOCAL_MODE, type Config } from './config.js';
import type { IdempotencyStore } from './idempotency/ports.js';
import { logger } from './logging/logger.js';
import type { DeliverMailDeps } from './outbox/deliver-mail.js';
import type { Clock, PasswordHasher } from './patient/ports.js';
import type { RegisterPatientDeps } from './patient/register-patient.js';
import type { ResendVerificationDeps } from './patient/resend-verification.js';
import type { VerifyEmailDeps } from './patient/verify-email.js';
import type { Storage } from './storage.js';

export const systemClock: Clock = { now: () => new Date() };

let storageOverride: Partial<Storage> | undefined;
let hasherOverride: PasswordHasher | undefined;

/**
 * Puts another store behind the handlers (the local runner's STORAGE=postgres). Call it before the
 * handlers are imported: they build their dependencies at module load. Lambda never calls it, and
 * the caller imports the other adapter dynamically, so its driver never reaches a Lambda bundle.
 */
export function useStorage(storage: Partial<Storage>): void {
  storageOverride = storage;
}

/** A hasher for a process that serves many requests at once (the local server's worker threads). */
export function usePasswordHasher(hasher: PasswordHasher): void {
  hasherOverride = hasher;
}

function storage(config: Config): Storage {
  return { ...createDynamoStorage(createDynamoDocumentClient(config), config.tableName), ...storageOverride };
}

/**
 * KMS when a key is configured; otherwise, in local mode only, the local master key, and the operator
 * is told so. loadConfig already refuses a register cold start without KMS_KEY_ID outside local mode;
 * this is the same rule where the key source is chosen, for callers that did not declare the need.
 */
function dataKeySource(config: Config): DataKeySource {
  if (config.kmsKeyId) return createKmsDataKeySource(createKmsClient(config), config.kmsKeyId);
  if (!config.localMode) throw new ConfigError(`KMS_KEY_ID must be set (only with ${LOCAL_MODE}=1 may a local master key stand in)`);
  logger.warn('KMS_KEY_ID is not set: patient data is encrypted with a LOCAL master key (LOCAL_MODE, development only)');
  const file = join(process.cwd(), '.local', 'master.key');
  return createLocalDataKeySource(loadLocalMasterKey(config.localMasterKey, file));
}

const mailer = (config: Config) => createSesMailer(createSesClient(config), config.mailFrom);

export type RegisterDeps = RegisterPatientDeps & { registrations: IdempotencyStore };

export function createRegisterDeps(config: Config): RegisterDeps {
  const { repository, outbox, registrations } = storage(config);
  return {
    repository,
    outbox,
    registrations,
    cipher: createEnvelopeFieldCipher(dataKeySource(config)),
    hasher: hasherOverride ?? createBcryptPasswordHasher(config.bcryptRounds),
    mailer: mailer(config),
    clock: systemClock,
    verifyUrlBase: config.verifyUrlBase,
  };
}

export function createVerifyEmailDeps(config: Config): VerifyEmailDeps {
  return { repository: storage(config).repository, clock: systemClock };
}

export function createResendVerificationDeps(config: Config): ResendVerificationDeps {
  const { repository, outbox, rateLimiter } = storage(config);
  return { repository, outbox, rateLimiter, mailer: mailer(config), clock: systemClock, verifyUrlBase: config.verifyUrlBase };
}

export function createMailerDeps(config: Config): DeliverMailDeps {
  return { outbox: storage(config).outbox, mailer: mailer(config), clock: systemClock };
}
