import { join } from 'node:path';
import { createBcryptPasswordHasher } from './adapters/bcrypt/bcrypt-password-hasher.js';
import { createDynamoDocumentClient, createKmsClient, createSesClient } from './adapters/aws-clients.js';
import type { DataKeySource } from './adapters/crypto/data-key-source.js';
import { createEnvelopeFieldCipher } from './adapters/crypto/envelope-field-cipher.js';
import { createDynamoPatientRepository } from './adapters/dynamodb/patient-repository.js';
import { createKmsDataKeySource } from './adapters/kms/kms-data-key-source.js';
import { createLocalDataKeySource, loadLocalMasterKey } from './adapters/local/local-data-key-source.js';
import { createSesMailer } from './adapters/ses/ses-mailer.js';
import type { Config } from './config.js';
import { logger } from './logging/logger.js';
import type { RegisterPatientDeps } from './patient/register-patient.js';
import type { VerifyEmailDeps } from './patient/verify-email.js';

export const systemClock = { now: () => new Date() };

/** KMS when a key is configured; otherwise the local master key, and the operator is told so. */
function dataKeySource(config: Config): DataKeySource {
  if (config.kmsKeyId) return createKmsDataKeySource(createKmsClient(config), config.kmsKeyId);
  logger.warn('KMS_KEY_ID is not set: patient data is encrypted with a LOCAL master key (development only)');
  const file = join(process.cwd(), '.local', 'master.key');
  return createLocalDataKeySource(loadLocalMasterKey(config.localMasterKey, file));
}

export function createRegisterDeps(config: Config): RegisterPatientDeps {
  return {
    repository: createDynamoPatientRepository(createDynamoDocumentClient(config), config.tableName),
    cipher: createEnvelopeFieldCipher(dataKeySource(config)),
    hasher: createBcryptPasswordHasher(config.bcryptRounds),
    mailer: createSesMailer(createSesClient(config), config.mailFrom),
    clock: systemClock,
    verifyUrlBase: config.verifyUrlBase,
  };
}

export function createVerifyEmailDeps(config: Config): VerifyEmailDeps {
  return {
    repository: createDynamoPatientRepository(createDynamoDocumentClient(config), config.tableName),
    clock: systemClock,
  };
}
