import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { ensureAuditTable, ensureTable } from '../../lib/local/services.js';
import { identifierKeyRingJson } from './identifier-keys.js';

/**
 * Runs before each integration test file is imported, like a Lambda environment before a cold
 * start: the handlers read this configuration at module load. A fresh table per file keeps files
 * independent while they share one DynamoDB Local.
 */
const env = process.env;
env.LOCAL_MODE = '1'; // the local master key below stands in for KMS only in local mode
env.DYNAMODB_ENDPOINT = inject('dynamodbEndpoint');
env.SES_ENDPOINT = inject('sesEndpoint');
env.SMS_ENDPOINT = inject('smsEndpoint');
env.SMS_ORIGINATION_IDENTITY = 'ClinicTest';
env.TABLE_NAME = `patients-${randomBytes(6).toString('hex')}`;
env.AUDIT_TABLE_NAME = `patient-audit-${randomBytes(6).toString('hex')}`;
env.LOCAL_MASTER_KEY = randomBytes(32).toString('base64');
env.IDENTIFIER_KEYS = identifierKeyRingJson();
env.MAIL_FROM = 'no-reply@clinic.test';
// The name pages and mails carry (the functions' default is "Patient Registration").
env.SERVICE_NAME = 'Riverside Clinic';
env.VERIFY_URL_BASE = 'https://app.clinic.test/verify-email';
env.BCRYPT_ROUNDS = '12';
// A fresh access-token key per file: no file under .local, and no file can verify another's tokens.
env.LOCAL_ACCESS_TOKEN_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
env.TOKEN_ISSUER = 'https://patient-api.test/';
env.TOKEN_AUDIENCE = 'patient-api-test';
delete env.KMS_KEY_ID;
for (const name of ['ACCESS_TOKEN_PUBLIC_KEYS', 'ACCESS_TOKEN_SIGNING_KEY', 'ACCESS_TOKEN_WRAPPING_KEY_ID']) delete env[name];
delete env.AWS_LAMBDA_FUNCTION_NAME;

await Promise.all([ensureTable(env.DYNAMODB_ENDPOINT, env.TABLE_NAME), ensureAuditTable(env.DYNAMODB_ENDPOINT, env.AUDIT_TABLE_NAME)]);
