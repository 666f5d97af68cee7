import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LOCAL_KEY_ID } from '../../lib/adapters/local/local-data-key-source.js';
import { ConfigError, DEFAULT_SERVICE_NAME, loadConfig, readServiceName } from '../../lib/config.js';
import { createRegisterDeps } from '../../lib/wiring.js';

const placedTables = { IDENTITY_TABLE_NAME: 'i', TOKEN_TABLE_NAME: 'k', OUTBOX_TABLE_NAME: 'o' };
const deployedEnv = {
  TABLE_NAME: 't',
  ...placedTables,
  AUDIT_TABLE_NAME: 'a',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
  MAIL_FROM: 'no-reply@clinic.example',
  VERIFY_URL_BASE: 'https://clinic.example/verify',
  AWS_REGION: 'eu-west-1',
};
const lambdaEnv = { ...deployedEnv, AWS_LAMBDA_FUNCTION_NAME: 'register' };
const local = { LOCAL_MODE: '1' };

describe('loadConfig', () => {
  it('defaults to cost 12 and local settings in local mode', () => {
    const config = loadConfig(local);
    expect(config).toMatchObject({ localMode: true, bcryptRounds: 12, tableName: 'patients', kmsKeyId: undefined, region: 'us-east-1' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each(['12', '13', '15'])('accepts BCRYPT_ROUNDS=%s', (rounds) => {
    expect(loadConfig({ ...local, BCRYPT_ROUNDS: rounds }).bcryptRounds).toBe(Number(rounds));
  });

  it.each(['11', '4', '16', '12.5', 'twelve', '-12'])('refuses to start with BCRYPT_ROUNDS=%s', (rounds) => {
    expect(() => loadConfig({ ...local, BCRYPT_ROUNDS: rounds })).toThrow(ConfigError);
  });

  it('lets unverified registrations lapse after 7 days unless UNVERIFIED_LAPSE_DAYS says otherwise, in Lambda too', () => {
    expect(loadConfig(local).unverifiedLapseDays).toBe(7);
    expect(loadConfig(lambdaEnv, ['encryption', 'mail']).unverifiedLapseDays).toBe(7);
  });

  it.each(['1', '14', '90'])('accepts UNVERIFIED_LAPSE_DAYS=%s', (days) => {
    expect(loadConfig({ ...local, UNVERIFIED_LAPSE_DAYS: days }).unverifiedLapseDays).toBe(Number(days));
  });

  it.each(['0', '91', '-7', '1.5', '7d', 'seven', '1e1', '0x7'])('refuses to start with UNVERIFIED_LAPSE_DAYS=%s', (days) => {
    expect(() => loadConfig({ ...local, UNVERIFIED_LAPSE_DAYS: days })).toThrow(ConfigError);
    expect(() => loadConfig({ ...local, UNVERIFIED_LAPSE_DAYS: days })).toThrow('UNVERIFIED_LAPSE_DAYS');
  });

  it('spreads the outbox due index over 32 shards unless OUTBOX_SHARDS says otherwise, in Lambda too', () => {
    expect(loadConfig(local).outboxShards).toBe(32);
    expect(loadConfig(lambdaEnv, ['encryption', 'mail']).outboxShards).toBe(32);
    expect(loadConfig({ ...local, OUTBOX_SHARDS: '1' }).outboxShards).toBe(1);
    expect(loadConfig({ ...local, OUTBOX_SHARDS: '256' }).outboxShards).toBe(256);
  });

  it.each(['0', '257', '-1', '1.5', '32x', 'many', '1e1'])('refuses to start with OUTBOX_SHARDS=%s', (shards) => {
    expect(() => loadConfig({ ...local, OUTBOX_SHARDS: shards })).toThrow('OUTBOX_SHARDS');
  });

  it('names the service SERVICE_NAME, "Patient Registration" when unset, in Lambda as locally', () => {
    expect(loadConfig(local).serviceName).toBe(DEFAULT_SERVICE_NAME);
    expect(DEFAULT_SERVICE_NAME).toBe('Patient Registration');
    expect(loadConfig({ ...lambdaEnv, SERVICE_NAME: ' Riverside Clinic ' }, ['encryption', 'mail']).serviceName).toBe('Riverside Clinic');
    expect(readServiceName({ SERVICE_NAME: 'Clínica Süd "Nord"' })).toBe('Clínica Süd "Nord"');
    expect(readServiceName({})).toBe(DEFAULT_SERVICE_NAME);
  });

  // It becomes the sender's display name: a line break would be a header injection, a bidi override a spoof.
  it.each([['a line break', 'Clinic\r\nBcc: x@y.z'], ['a control character', 'Clinic\u0007'], ['a bidi override', 'Clinic\u202Egro'], ['65 characters', 'x'.repeat(65)]])(
    'refuses to start with a SERVICE_NAME holding %s', (_case, name) => {
      expect(() => loadConfig({ ...local, SERVICE_NAME: name })).toThrow('SERVICE_NAME must be 1 to 64 characters');
    });

  it('takes everything from the environment in Lambda', () => {
    expect(loadConfig(lambdaEnv, ['encryption', 'mail'])).toMatchObject({
      localMode: false,
      tableName: 't',
      kmsKeyId: lambdaEnv.KMS_KEY_ID,
      mailFrom: lambdaEnv.MAIL_FROM,
      region: 'eu-west-1',
    });
  });

  it.each(['TABLE_NAME', 'IDENTITY_TABLE_NAME', 'TOKEN_TABLE_NAME', 'OUTBOX_TABLE_NAME', 'KMS_KEY_ID', 'MAIL_FROM', 'VERIFY_URL_BASE', 'AWS_REGION'])('fails a registering Lambda cold start without %s', (name) => {
    expect(() => loadConfig({ ...lambdaEnv, [name]: '' }, ['encryption', 'mail'])).toThrow(`${name} must be set`);
  });

  it('requires of a Lambda only what it uses: verify-email needs the table alone', () => {
    const verifyEnv = { AWS_LAMBDA_FUNCTION_NAME: 'verify', AWS_REGION: 'eu-west-1', AUDIT_TABLE_NAME: 'a', ...placedTables };
    expect(loadConfig({ ...verifyEnv, TABLE_NAME: 't' })).toMatchObject({ tableName: 't', kmsKeyId: undefined });
    expect(() => loadConfig(verifyEnv)).toThrow('TABLE_NAME must be set');
    expect(() => loadConfig({ ...verifyEnv, TABLE_NAME: 't' }, ['mail'])).toThrow('MAIL_FROM must be set');
  });

  it('SMS: SMS_ORIGINATION_IDENTITY is required where SMS is sent (need "sms"), optional configuration set; a local default only in local mode', () => {
    const pool = 'arn:aws:sms-voice:eu-west-1:111122223333:pool/pool-abc';
    expect(() => loadConfig(lambdaEnv, ['sms'])).toThrow('SMS_ORIGINATION_IDENTITY must be set');
    expect(loadConfig(lambdaEnv)).toMatchObject({ smsConfigurationSet: undefined, smsEndpoint: undefined });
    expect(loadConfig({ ...lambdaEnv, SMS_ORIGINATION_IDENTITY: pool, SMS_CONFIGURATION_SET: 'codes' }, ['sms']))
      .toMatchObject({ smsOriginationIdentity: pool, smsConfigurationSet: 'codes' });
    expect(loadConfig({ ...local, SMS_ENDPOINT: 'http://127.0.0.1:8006' }, ['sms']))
      .toMatchObject({ smsOriginationIdentity: 'PatientPortal', smsEndpoint: 'http://127.0.0.1:8006' });
  });

  it('reads the placed tables (issue 23): the patient table\'s name locally unless named, each one named in AWS', () => {
    expect(loadConfig({ ...local, TABLE_NAME: 'p' })).toMatchObject({ tableName: 'p', identityTableName: 'p', tokenTableName: 'p', outboxTableName: 'p' });
    expect(loadConfig({ ...local, OUTBOX_TABLE_NAME: 'o' })).toMatchObject({ tableName: 'patients', identityTableName: 'patients', outboxTableName: 'o' });
    expect(loadConfig(lambdaEnv)).toMatchObject({ tableName: 't', identityTableName: 'i', tokenTableName: 'k', outboxTableName: 'o' });
  });

  it('reads the audit table apart from the patient table: patient-audit locally, AUDIT_TABLE_NAME deployed', () => {
    expect(loadConfig(local).auditTableName).toBe('patient-audit');
    expect(loadConfig({ ...local, AUDIT_TABLE_NAME: 'audit-dev' }).auditTableName).toBe('audit-dev');
    expect(loadConfig(lambdaEnv).auditTableName).toBe('a');
  });

  it('fails any Lambda cold start without AUDIT_TABLE_NAME: every function\'s storage includes the audit trail', () => {
    expect(() => loadConfig({ ...lambdaEnv, AUDIT_TABLE_NAME: '' })).toThrow('AUDIT_TABLE_NAME must be set');
    expect(() => loadConfig({ ...deployedEnv, AUDIT_TABLE_NAME: undefined })).toThrow('AUDIT_TABLE_NAME must be set');
  });

  it('REQUIRE_MFA (issue 21): off unless set to true, in Lambda as locally; anything but true or false fails the start', () => {
    expect(loadConfig(local).requireMfa).toBe(false);
    expect(loadConfig({ ...lambdaEnv }, ['encryption']).requireMfa).toBe(false);
    expect(loadConfig({ ...lambdaEnv, REQUIRE_MFA: 'true' }, ['encryption']).requireMfa).toBe(true);
    expect(loadConfig({ ...local, REQUIRE_MFA: 'false' }).requireMfa).toBe(false);
    for (const value of ['1', 'yes', 'TRUE']) expect(() => loadConfig({ ...local, REQUIRE_MFA: value })).toThrow(ConfigError);
  });

  it('refuses a VERIFY_URL_BASE that is not an http(s) URL', () => {
    expect(() => loadConfig({ ...local, VERIFY_URL_BASE: 'javascript:alert(1)' })).toThrow(ConfigError);
  });

  it('uses given endpoints as they are', () => {
    expect(loadConfig({ ...local, DYNAMODB_ENDPOINT: 'http://db:8000', SES_ENDPOINT: 'http://mail:8005' })).toMatchObject({
      dynamodbEndpoint: 'http://db:8000',
      sesEndpoint: 'http://mail:8005',
    });
  });
});

describe('local mode is an explicit opt-in (LOCAL_MODE=1)', () => {
  // A container or EC2 host has no AWS_LAMBDA_FUNCTION_NAME: it must be held to the deployed rules.
  it('outside Lambda, without LOCAL_MODE, a registering start without KMS_KEY_ID fails, naming the key and the opt-in', () => {
    const { KMS_KEY_ID: _, ...withoutKey } = deployedEnv;
    const start = () => loadConfig(withoutKey, ['encryption', 'mail']);
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/KMS_KEY_ID must be set.*LOCAL_MODE=1/);
  });

  it.each(['TABLE_NAME', 'MAIL_FROM', 'VERIFY_URL_BASE', 'AWS_REGION'])('outside Lambda, without LOCAL_MODE, %s does not fall back to a local default', (name) => {
    expect(() => loadConfig({ ...deployedEnv, [name]: '' }, ['encryption', 'mail'])).toThrow(`${name} must be set`);
  });

  it('outside Lambda with every setting given, no opt-in is needed', () => {
    expect(loadConfig(deployedEnv, ['encryption', 'mail'])).toMatchObject({ localMode: false, kmsKeyId: deployedEnv.KMS_KEY_ID });
  });

  it.each(['1', 'true', 'TRUE'])('LOCAL_MODE=%s turns local mode on', (value) => {
    expect(loadConfig({ LOCAL_MODE: value }, ['encryption', 'mail']).localMode).toBe(true);
  });

  it.each(['', '0', 'false'])('LOCAL_MODE=%j leaves it off', (value) => {
    expect(loadConfig({ ...deployedEnv, LOCAL_MODE: value }).localMode).toBe(false);
  });

  it.each(['yes', '2', 'on'])('refuses LOCAL_MODE=%s rather than guess', (value) => {
    expect(() => loadConfig({ ...deployedEnv, LOCAL_MODE: value })).toThrow('LOCAL_MODE must be 1 or unset');
  });

  it('refuses LOCAL_MODE in Lambda: a deployed function must never use local defaults', () => {
    expect(() => loadConfig({ ...lambdaEnv, LOCAL_MODE: '1' }, ['encryption', 'mail'])).toThrow('LOCAL_MODE must not be set in Lambda');
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'verify', LOCAL_MODE: '1' })).toThrow(ConfigError);
  });

  it('the data-key wiring refuses a local master key outside local mode, even when the caller did not declare the need', () => {
    const { KMS_KEY_ID: _, ...withoutKey } = deployedEnv;
    const config = loadConfig(withoutKey);
    expect(config.kmsKeyId).toBeUndefined();
    expect(() => createRegisterDeps(config)).toThrow(/KMS_KEY_ID must be set.*LOCAL_MODE=1/);
  });

  it('hands UNVERIFIED_LAPSE_DAYS to the register use case as its lapse', () => {
    const config = loadConfig({ ...local, UNVERIFIED_LAPSE_DAYS: '3', LOCAL_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }, ['encryption', 'mail']);
    expect(createRegisterDeps(config).registrationLapseMs).toBe(3 * 24 * 3600_000);
  });

  it('in local mode without KMS_KEY_ID the local master key is used', async () => {
    const config = loadConfig({ ...local, LOCAL_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }, ['encryption', 'mail']);
    const encrypted = await createRegisterDeps(config).cipher.encryptFields('p-1', { medical_history: ['x'] });
    expect(encrypted.keyId).toBe(LOCAL_KEY_ID);
  });
});

describe('access-token settings', () => {
  const jwk = (kid: string) => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid });
  const jwks = JSON.stringify({ keys: [jwk('current'), jwk('retired')] });
  const verifyEnv = {
    AWS_LAMBDA_FUNCTION_NAME: 'me', AWS_REGION: 'eu-west-1', TABLE_NAME: 't', ...placedTables, AUDIT_TABLE_NAME: 'a',
    ACCESS_TOKEN_PUBLIC_KEYS: jwks,
    TOKEN_ISSUER: 'https://api.clinic.example/prod/', TOKEN_AUDIENCE: 'patient-api-prod',
  };
  const signEnv = { ...verifyEnv, AWS_LAMBDA_FUNCTION_NAME: 'login', ACCESS_TOKEN_SIGNING_KEY: 'AQID', ACCESS_TOKEN_WRAPPING_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/wrap' };

  it('a verifying function takes the published keys (current first), issuer and audience from the environment', () => {
    expect(loadConfig(verifyEnv, ['tokens'])).toMatchObject({
      accessTokenPublicKeys: [{ kid: 'current', kty: 'EC', crv: 'P-256' }, { kid: 'retired' }],
      accessTokenWrappedKey: undefined,
      tokenIssuer: verifyEnv.TOKEN_ISSUER,
      tokenAudience: verifyEnv.TOKEN_AUDIENCE,
    });
  });

  it('a signing function also takes the wrapped private key and the KMS key that unwraps it', () => {
    expect(loadConfig(signEnv, ['tokens', 'token-signing'])).toMatchObject({ accessTokenWrappedKey: 'AQID', accessTokenWrappingKeyId: signEnv.ACCESS_TOKEN_WRAPPING_KEY_ID });
  });

  it.each(['ACCESS_TOKEN_PUBLIC_KEYS', 'TOKEN_ISSUER', 'TOKEN_AUDIENCE'])('fails a verifying Lambda cold start without %s', (name) => {
    expect(() => loadConfig({ ...verifyEnv, [name]: '' }, ['tokens'])).toThrow(`${name} must be set`);
  });

  it.each(['ACCESS_TOKEN_SIGNING_KEY', 'ACCESS_TOKEN_WRAPPING_KEY_ID'])('fails a signing Lambda cold start without %s', (name) => {
    expect(() => loadConfig({ ...signEnv, [name]: '' }, ['tokens', 'token-signing'])).toThrow(`${name} must be set`);
  });

  it.each([
    ['not JSON', '{keys'],
    ['no keys', '{"keys":[]}'],
    ['a private key', JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k' }] })],
    ['another curve', JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }), kid: 'k' }] })],
    ['a key without kid', JSON.stringify({ keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })] })],
  ])('refuses published keys that are %s', (_case, value) => {
    expect(() => loadConfig({ ...verifyEnv, ACCESS_TOKEN_PUBLIC_KEYS: value }, ['tokens'])).toThrow('ACCESS_TOKEN_PUBLIC_KEYS must be a JWKS');
  });

  it('locally, issuer and audience default to the local server, and no key is configured (the key file stands in)', () => {
    expect(loadConfig({ ...local, PORT: '3100' })).toMatchObject({ tokenIssuer: 'http://localhost:3100', tokenAudience: 'patient-api', accessTokenPublicKeys: undefined });
  });
});
