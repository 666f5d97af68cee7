import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createDynamoSessionStore } from '../../lib/adapters/dynamodb/session-store.js';
import { ServiceUnavailableError } from '../../lib/errors.js';

/**
 * The session list's DynamoDB paths that DynamoDB Local does not produce: a BatchGet that leaves keys
 * unprocessed (throttling), and ending a family started before the patient's index existed. The
 * contract suite (test/contract/session-listing.contract.ts) runs the rest on DynamoDB Local.
 */
const db = mockClient(DynamoDBDocumentClient);
const sessions = createDynamoSessionStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', { sleep: async () => {} });
const patientId = '5f8e2b1c-0000-4000-8000-000000000001';
const ids = ['5f8e2b1c-0000-4000-8000-0000000000f1', '5f8e2b1c-0000-4000-8000-0000000000f2'];
const NOW = new Date('2026-01-01T00:00:00.000Z');
const familyItem = (id: string) => ({
  ...keys.sessionFamily(id), patient_id: patientId, expires_at_ms: NOW.getTime() + 60_000, created_at: NOW.toISOString(), last_used_at_ms: NOW.getTime(), device: 'Firefox 121 on Linux',
});
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

beforeEach(() => {
  db.reset();
  db.on(GetCommand).resolves({ Item: { ...keys.patientSessions(patientId), ...Object.fromEntries(ids.map((id) => [`F#${id}`, NOW.getTime() + 120_000])) } });
});

describe('listing sessions on DynamoDB', () => {
  it('asks again for the keys a BatchGet left unprocessed, and lists them all', async () => {
    const [first, second] = ids as [string, string];
    db.on(BatchGetCommand)
      .resolvesOnce({ Responses: { t: [familyItem(first)] }, UnprocessedKeys: { t: { Keys: [keys.sessionFamily(second)] } } })
      .resolves({ Responses: { t: [familyItem(second)] } });
    const listed = await sessions.listLive(patientId, NOW);
    expect(listed.map((s) => s.familyId).sort()).toEqual([...ids].sort());
    expect(db.commandCalls(BatchGetCommand)).toHaveLength(2);
    expect(db.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems!.t!.Keys).toEqual([keys.sessionFamily(second)]);
    expect(db.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.t!.ConsistentRead).toBe(true);
  });

  it('keys left unprocessed round after round are a 503, not a shorter list', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { t: [] }, UnprocessedKeys: { t: { Keys: ids.map((id) => keys.sessionFamily(id)) } } });
    await expect(sessions.listLive(patientId, NOW)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});

describe('ending one\'s own session on DynamoDB', () => {
  it('a family without an index item (started before the index) is ended alone, under the same condition', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    db.on(UpdateCommand).resolves({});
    expect(await sessions.endOwn({ patientId, familyId: ids[0]! }, NOW)).toBe(true);
    const update = db.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toContain('patient_id = :patient');
  });

  it('that family another patient\'s (its condition fails): false', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await sessions.endOwn({ patientId, familyId: ids[0]! }, NOW)).toBe(false);
  });
});
