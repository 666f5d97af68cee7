import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapterMethodsOnStack, iamCallsOf } from '../support/aws-calls.js';

/** The recorder behind test/iam must see a command the way IAM authorises it. */
describe('SDK command → IAM actions (the AWS call recorder)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('a transaction is authorised item by item, as the single-item actions', () => {
    const input = {
      TransactItems: [
        { Put: { Item: { pk: 'PATIENT#1', sk: 'PROFILE' } } },
        { Update: { Key: { pk: { S: 'VERIFY#abc' }, sk: { S: 'TOKEN' } } } },
        { Delete: { Key: { pk: 'IDEMPOTENCY#k', sk: 'REGISTER' } } },
        { ConditionCheck: { Key: { pk: 'EMAIL#a@b.c', sk: 'UNIQUE' } } },
      ],
    };
    expect(iamCallsOf('DynamoDBClient', 'TransactWriteItemsCommand', input)).toEqual([
      { action: 'dynamodb:PutItem', resource: 'table', prefix: 'PATIENT#' },
      { action: 'dynamodb:UpdateItem', resource: 'table', prefix: 'VERIFY#' },
      { action: 'dynamodb:DeleteItem', resource: 'table', prefix: 'IDEMPOTENCY#' },
      { action: 'dynamodb:ConditionCheckItem', resource: 'table', prefix: 'EMAIL#' },
    ]);
  });

  it('a batch read is one BatchGetItem per key, each with its own prefix', () => {
    const input = { RequestItems: { t: { Keys: [{ pk: 'EMAIL#a@b.c', sk: 'UNIQUE' }, { pk: 'PHONE#+1', sk: 'UNIQUE' }] } } };
    expect(iamCallsOf('DynamoDBClient', 'BatchGetItemCommand', input)).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: 'table', prefix: 'EMAIL#' },
      { action: 'dynamodb:BatchGetItem', resource: 'table', prefix: 'PHONE#' },
    ]);
  });

  it('the prefix is the text up to and including the first #', () => {
    expect(iamCallsOf('DynamoDBClient', 'GetItemCommand', { Key: { pk: 'RATE#abc#WINDOW', sk: 'x' } })).toEqual([
      { action: 'dynamodb:GetItem', resource: 'table', prefix: 'RATE#' },
    ]);
  });

  it('a Query on an index is a Query on that index resource; one on the table is refused, not guessed', () => {
    expect(iamCallsOf('DynamoDBClient', 'QueryCommand', { IndexName: 'due' })).toEqual([{ action: 'dynamodb:Query', resource: 'index/due' }]);
    expect(() => iamCallsOf('DynamoDBClient', 'QueryCommand', {})).toThrow(/on the table itself/);
    // One partition of the table (a patient's passkeys): LeadingKeys sees that partition key.
    expect(iamCallsOf('DynamoDBClient', 'QueryCommand', { TableName: 't', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)', ExpressionAttributeValues: { ':pk': 'PASSKEYS#p1', ':c': 'CREDENTIAL#' } }))
      .toEqual([{ action: 'dynamodb:Query', resource: 'table', prefix: 'PASSKEYS#' }]);
  });

  it('End User Messaging SMS: sms-voice:SendTextMessage on the configured origination identity (symbolically)', () => {
    vi.stubEnv('SMS_ORIGINATION_IDENTITY', 'arn:aws:sms-voice:us-east-1:111122223333:pool/pool-1');
    expect(iamCallsOf('PinpointSMSVoiceV2Client', 'SendTextMessageCommand', { OriginationIdentity: 'arn:aws:sms-voice:us-east-1:111122223333:pool/pool-1' }))
      .toEqual([{ action: 'sms-voice:SendTextMessage', resource: '$SMS_ORIGINATION_IDENTITY' }]);
    expect(iamCallsOf('PinpointSMSVoiceV2Client', 'SendTextMessageCommand', { OriginationIdentity: '+12025550100' }))
      .toEqual([{ action: 'sms-voice:SendTextMessage', resource: '+12025550100' }]);
  });

  it('SES and KMS name the configured From address and key symbolically, anything else literally', () => {
    vi.stubEnv('MAIL_FROM', 'no-reply@clinic.test');
    expect(iamCallsOf('SESClient', 'SendEmailCommand', { Source: 'no-reply@clinic.test' })).toEqual([{ action: 'ses:SendEmail', resource: '$MAIL_FROM' }]);
    expect(iamCallsOf('SESClient', 'SendEmailCommand', { Source: 'other@clinic.test' })).toEqual([{ action: 'ses:SendEmail', resource: 'other@clinic.test' }]);
    // ses:FromAddress is the address alone: a display name does not change what is authorised.
    expect(iamCallsOf('SESClient', 'SendEmailCommand', { Source: '"Clinic" <no-reply@clinic.test>' })).toEqual([{ action: 'ses:SendEmail', resource: '$MAIL_FROM' }]);
    expect(iamCallsOf('SESClient', 'SendEmailCommand', { Source: '"Clinic" <other@clinic.test>' })).toEqual([{ action: 'ses:SendEmail', resource: 'other@clinic.test' }]);
    vi.stubEnv('ACCESS_TOKEN_WRAPPING_KEY_ID', 'arn:wrap');
    // A signing function's one KMS call: unwrapping the signing key. No function calls kms:Sign any more.
    expect(iamCallsOf('KMSClient', 'DecryptCommand', { KeyId: 'arn:wrap', EncryptionContext: { purpose: 'access-token-signing-key', kid: 'k' } })).toEqual([
      { action: 'kms:Decrypt', resource: '$ACCESS_TOKEN_WRAPPING_KEY_ID', encryptionContext: { purpose: 'access-token-signing-key', kid: 'k' } },
    ]);
    vi.stubEnv('KMS_KEY_ID', 'arn:k');
    expect(iamCallsOf('KMSClient', 'GenerateDataKeyCommand', { KeyId: 'arn:k', EncryptionContext: { purpose: 'p' } })).toEqual([
      { action: 'kms:GenerateDataKey', resource: '$KMS_KEY_ID', encryptionContext: { purpose: 'p' } },
    ]);
  });

  it('names the adapter methods on the stack, innermost first: only lines of TABLE_CALLS, never helpers or other files', () => {
    const stack = [
      'Error',
      '    at record (/r/test/support/record-aws-calls.ts:70:5)',
      '    at get (/r/lib/adapters/dynamodb/patient-repository.ts:90:11)',
      '    at async readToken (/r/lib/adapters/dynamodb/patient-repository.ts:120:3)',
      '    at async Object.findVerificationToken (file:///r/lib/adapters/dynamodb/patient-repository.ts:356:21)',
      '    at async Object.rotate (/r/lib/adapters/dynamodb/session-store.ts:60:9)',
      '    at async Object.getPatient (/r/lib/adapters/postgres/patient-repository.ts:10:1)',
      '    at async verifyEmail (/r/lib/patient/verify-email.ts:23:17)',
    ].join('\n');
    const known = new Set(['patients.findVerificationToken', 'patients.getPatient', 'sessions.rotate']);
    expect(adapterMethodsOnStack(stack, known)).toEqual(['patients.findVerificationToken', 'sessions.rotate']);
  });
});
