import { DynamoDBClient, TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoPhoneCodeStore } from '../../lib/adapters/dynamodb/phone-code-store.js';
import { createDynamoSessionStore } from '../../lib/adapters/dynamodb/session-store.js';
import { ServiceUnavailableError } from '../../lib/errors.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../support/identifier-keys.js';

/**
 * Transaction conflicts on the session items (issue 19 item 7). DynamoDB Local produces them only
 * now and then (two sign-ins of one patient whose transactions overlap), so they are forced here;
 * test/contract runs the same races on DynamoDB Local.
 */
const db = mockClient(DynamoDBDocumentClient);
const sessions = createDynamoSessionStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', { sleep: async () => {} });
const family = { familyId: '5f8e2b1c-0000-4000-8000-0000000000f1', patientId: '5f8e2b1c-0000-4000-8000-000000000001' };
const newFamily = { ...family, tokenHash: 'ab'.repeat(32), now: new Date(), idleTtlMs: 60_000, absoluteTtlMs: 120_000 };
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

beforeEach(() => {
  db.reset();
  db.on(GetCommand).resolves({});
});

describe('session writes that meet a concurrent transaction', () => {
  it('a sign-in whose index update conflicts is retried, reading the index again, and starts', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'None', 'TransactionConflict')).resolves({});
    await sessions.startFamily(newFamily);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(db.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('a conflict that does not pass is a 503 after a bounded number of attempts, never a 500', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'TransactionConflict'));
    await expect(sessions.startFamily(newFamily)).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(6);
  });

  it('a failed condition is not retried: it is an answer, not a conflict', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));
    await expect(sessions.startFamily(newFamily)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('a revocation that meets a rotation under way is retried and lands', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});
    await sessions.revokeFamily(family, new Date());
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('a single-item revocation that meets a transaction (TransactionConflictException) is retried', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed')); // no index item: one item at a time
    db.on(UpdateCommand).rejectsOnce(new TransactionConflictException({ message: 'conflict', $metadata: {} })).resolves({});
    await sessions.revokeFamily(family, new Date());
    expect(db.commandCalls(UpdateCommand)).toHaveLength(2);
  });
});

describe('phone codes that meet a concurrent transaction', () => {
  const phoneCodes = createDynamoPhoneCodeStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', 32, testIdentifierDigests(identifierKeyRingJson()));
  const now = new Date();
  const code = { patientId: family.patientId, codeId: 'c1', digest: 'v1.aa', expiresAt: new Date(now.getTime() + 600_000), createdAt: now };
  const sms = { kind: 'phone_code_sms' as const, id: 'm1', patientId: family.patientId, to: '+12025550100', text: 'code', createdAt: now.toISOString() };

  it('two codes asked for at once: the one whose transaction conflicts is retried', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});
    await phoneCodes.issueCode(code, sms);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('a wrong try that meets a right try’s transaction judges the code afresh', async () => {
    db.on(GetCommand)
      .resolvesOnce({ Item: { code_id: 'c1', code_digest: 'v1.aa', expires_at: code.expiresAt.toISOString(), failures: 0 } })
      .resolves({});
    db.on(UpdateCommand).rejects(new TransactionConflictException({ message: 'conflict', $metadata: {} }));
    expect(await phoneCodes.attemptCode(family.patientId, ['v1.bb'], now, 5)).toEqual({ outcome: 'none' });
  });
});
