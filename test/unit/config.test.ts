import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';

const lambdaEnv = {
  AWS_LAMBDA_FUNCTION_NAME: 'register',
  TABLE_NAME: 't',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
  MAIL_FROM: 'no-reply@clinic.example',
  VERIFY_URL_BASE: 'https://clinic.example/verify',
};

describe('loadConfig', () => {
  it('defaults to cost 12 and local settings outside Lambda', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ bcryptRounds: 12, tableName: 'patients', kmsKeyId: undefined });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each(['12', '13', '15'])('accepts BCRYPT_ROUNDS=%s', (rounds) => {
    expect(loadConfig({ BCRYPT_ROUNDS: rounds }).bcryptRounds).toBe(Number(rounds));
  });

  it.each(['11', '4', '16', '12.5', 'twelve', '-12'])('refuses to start with BCRYPT_ROUNDS=%s', (rounds) => {
    expect(() => loadConfig({ BCRYPT_ROUNDS: rounds })).toThrow(ConfigError);
  });

  it('takes everything from the environment in Lambda', () => {
    expect(loadConfig(lambdaEnv, ['encryption', 'mail'])).toMatchObject({ tableName: 't', kmsKeyId: lambdaEnv.KMS_KEY_ID, mailFrom: lambdaEnv.MAIL_FROM });
  });

  it.each(['TABLE_NAME', 'KMS_KEY_ID', 'MAIL_FROM', 'VERIFY_URL_BASE'])('fails a registering Lambda cold start without %s', (name) => {
    expect(() => loadConfig({ ...lambdaEnv, [name]: '' }, ['encryption', 'mail'])).toThrow(`${name} must be set`);
  });

  it('requires of a Lambda only what it uses: verify-email needs the table alone', () => {
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'verify', TABLE_NAME: 't' })).toMatchObject({ tableName: 't', kmsKeyId: undefined });
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'verify' })).toThrow('TABLE_NAME must be set');
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'mailer', TABLE_NAME: 't' }, ['mail'])).toThrow('MAIL_FROM must be set');
  });

  it('refuses a VERIFY_URL_BASE that is not an http(s) URL', () => {
    expect(() => loadConfig({ VERIFY_URL_BASE: 'javascript:alert(1)' })).toThrow(ConfigError);
  });

  it('uses given endpoints as they are', () => {
    expect(loadConfig({ DYNAMODB_ENDPOINT: 'http://db:8000', SES_ENDPOINT: 'http://mail:8005' })).toMatchObject({
      dynamodbEndpoint: 'http://db:8000',
      sesEndpoint: 'http://mail:8005',
    });
  });
});
