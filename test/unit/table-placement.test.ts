import { describe, expect, it } from 'vitest';
import { DUE_INDEX, keys } from '../../lib/adapters/dynamodb/keys.js';
import { isSingleTable, placeInput, placementOf, roleOfKey } from '../../lib/adapters/dynamodb/placement.js';

/** Issue 23: each command of the stores goes to its item's table (the contract runs them on DynamoDB Local). */
const names = { tableName: 'patients', identityTableName: 'identities', tokenTableName: 'tokens', outboxTableName: 'outbox' };
const place = placementOf(names);
const placed = (command: string, input: Record<string, unknown>) => placeInput(command, input, 'patients', place);

describe('table placement', () => {
  it('puts reservations, attempt counters and session indexes on identities; links and sessions on tokens; mails on outbox; the rest stays', () => {
    expect(place(keys.email('d').pk)).toBe('identities');
    expect(place(keys.phone('d').pk)).toBe('identities');
    expect(place(keys.phoneClaim('d').pk)).toBe('identities');
    expect(place(keys.loginAttempts('account:p').pk)).toBe('identities');
    expect(place(keys.patientSessions('p').pk)).toBe('identities');
    for (const key of [keys.verificationToken('t'), keys.resetToken('t'), keys.emailMoveToken('t'), keys.sessionFamily('f'), keys.refreshToken('t'), keys.mfaChallenge('t'), keys.passkeyChallenge('c')]) {
      expect(place(key.pk), key.pk).toBe('tokens');
    }
    expect(place(keys.outbox('o').pk)).toBe('outbox');
    for (const key of [keys.patient('p'), keys.totp('p'), keys.passkey('p', 'c'), keys.passkeyOwner('c'), keys.phoneCode('p'), keys.rateSlide('r'), keys.idempotency('register', 'k')]) {
      expect(place(key.pk), key.pk).toBe('patients');
    }
    // A prefix that only starts like a placed one is not placed with it.
    expect(roleOfKey('PHONECODE#p')).toBeUndefined();
  });

  it('moves single-item commands by their key or item', () => {
    expect(placed('GetItemCommand', { TableName: 'patients', Key: keys.email('d') }).TableName).toBe('identities');
    expect(placed('PutItemCommand', { TableName: 'patients', Item: { ...keys.outbox('o'), to: 'x' } }).TableName).toBe('outbox');
    expect(placed('UpdateItemCommand', { TableName: 'patients', Key: keys.sessionFamily('f') }).TableName).toBe('tokens');
    expect(placed('DeleteItemCommand', { TableName: 'patients', Key: keys.patient('p') }).TableName).toBe('patients');
    // The low-level client's form too.
    expect(placed('GetItemCommand', { TableName: 'patients', Key: { pk: { S: 'REFRESH#t' }, sk: { S: 'TOKEN' } } }).TableName).toBe('tokens');
  });

  it('leaves commands on other tables (the audit trail) as they are', () => {
    const input = { TableName: 'audit', Item: { pk: 'PATIENT#p', sk: 'EVENT#1' } };
    expect(placed('PutItemCommand', input)).toBe(input);
    expect(placed('ScanCommand', { TableName: 'audit' })).toEqual({ TableName: 'audit' });
  });

  it('sends a due-index Query to the outbox table and a partition Query to its family\'s table', () => {
    expect(placed('QueryCommand', { TableName: 'patients', IndexName: DUE_INDEX, KeyConditionExpression: 'due_pk = :s', ExpressionAttributeValues: { ':s': 'OUTBOX#3' } }).TableName).toBe('outbox');
    expect(placed('QueryCommand', { TableName: 'patients', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)', ExpressionAttributeValues: { ':pk': 'PASSKEYS#p', ':c': 'CREDENTIAL#' } }).TableName).toBe('patients');
    expect(placed('QueryCommand', { TableName: 'patients', KeyConditionExpression: 'pk = :id', ExpressionAttributeValues: { ':id': 'SESSIONS#p' } }).TableName).toBe('identities');
  });

  it('places each item of a transaction on its own table', () => {
    const { TransactItems } = placed('TransactWriteItemsCommand', {
      TransactItems: [
        { Put: { TableName: 'patients', Item: { ...keys.patient('p') } } },
        { Put: { TableName: 'patients', Item: { ...keys.email('d') } } },
        { ConditionCheck: { TableName: 'patients', Key: keys.phone('d') } },
        { Update: { TableName: 'patients', Key: keys.verificationToken('t') } },
        { Delete: { TableName: 'patients', Key: keys.outbox('o') } },
        { Put: { TableName: 'audit', Item: { pk: 'PATIENT#p', sk: 'EVENT#1' } } },
      ],
    }) as { TransactItems: Record<string, { TableName: string }>[] };
    expect(TransactItems.map((entry) => Object.values(entry)[0]!.TableName)).toEqual(['patients', 'identities', 'identities', 'tokens', 'outbox', 'audit']);
  });

  it('splits a batch read by table, keeping its options', () => {
    const { RequestItems } = placed('BatchGetItemCommand', {
      RequestItems: { patients: { Keys: [keys.email('a'), keys.sessionFamily('f'), keys.phone('b')], ConsistentRead: true } },
    });
    expect(RequestItems).toEqual({
      identities: { Keys: [keys.email('a'), keys.phone('b')], ConsistentRead: true },
      tokens: { Keys: [keys.sessionFamily('f')], ConsistentRead: true },
    });
  });

  it('refuses a command it cannot place by key, rather than send it to the wrong table', () => {
    expect(() => placed('ScanCommand', { TableName: 'patients' })).toThrow(/cannot be placed/);
    expect(() => placed('BatchWriteItemCommand', { RequestItems: { patients: [] } })).toThrow(/cannot be placed/);
    expect(() => placed('GetItemCommand', { TableName: 'patients', Key: { id: 'x' } })).toThrow(/without a pk/);
  });

  it('is one table when every name is the same (npm start, the integration suite)', () => {
    expect(isSingleTable({ tableName: 't', identityTableName: 't', tokenTableName: 't', outboxTableName: 't' })).toBe(true);
    expect(isSingleTable(names)).toBe(false);
  });
});
