import { describe, expect, it } from 'vitest';
import { demandOf } from '../../lib/tools/capacity/model.js';
import { DEPLOYED_PLACEMENT, placedIn } from '../../lib/tools/capacity/placement.js';
import type { CapacityRecording, DynamoDbCall, WrittenItem } from '../../lib/tools/capacity/recording.js';

/** Issue 23: the recorded calls (one table, as the integration run keeps it), split by where each item family lives as deployed. */

const put = (partitionKey: string, afterBytes = 200, table = 'table'): WrittenItem => ({ table, partitionKey, kind: 'Put', afterBytes, indexes: {} });
const call = (over: Partial<DynamoDbCall>): DynamoDbCall => ({ service: 'dynamodb', fn: 'Register', command: 'TransactWriteItems', table: 'table', transactional: true, failed: false, writes: [], reads: [], ...over });
const recordingOf = (...calls: DynamoDbCall[]): CapacityRecording => ({ recordedAt: '2026-12-07T00:00:00Z', tables: {}, operations: { register: { description: '', runs: [{ calls, durationMs: { Register: 1 } }] } } });
const placement = { EMAIL: 'identities table', OUTBOX: 'outbox table' };

describe('placedIn', () => {
  it('splits one transaction\'s units by the table each item would live in; unnamed prefixes stay', () => {
    const recording = recordingOf(call({ writes: [put('PATIENT#~a', 1500), put('EMAIL#~b'), put('OUTBOX#~c')] }));
    const { byTable } = demandOf('register', placedIn(recording, placement).operations.register!);
    expect(byTable).toEqual({ table: { read: 0, write: 4 }, 'identities table': { read: 0, write: 2 }, 'outbox table': { read: 0, write: 2 } });
    // The whole is unchanged: only where it lands moves.
    expect(demandOf('register', recording.operations.register!).writeUnits).toBe(8);
  });

  it('moves reads by their partition key and index reads with the index\'s items; other tables stay', () => {
    const recording = recordingOf(
      call({ command: 'BatchGetItem', transactional: false, reads: [{ consistent: true, items: [{ bytes: 100, partitionKey: 'EMAIL#~b' }] }, { consistent: true, items: [{ bytes: 100, partitionKey: 'PATIENT#~a' }] }] }),
      call({ command: 'Query', transactional: false, reads: [{ index: 'due', consistent: false, partitionKey: 'OUTBOX#~1', items: [{ bytes: 50, partitionKey: 'OUTBOX#~1' }] }] }),
      call({ command: 'PutItem', table: 'audit table', transactional: false, writes: [put('PATIENT#~a', 300, 'audit table')] }),
    );
    const { byTable } = demandOf('register', placedIn(recording, placement).operations.register!);
    expect(byTable).toMatchObject({ 'identities table': { read: 1 }, table: { read: 1 }, 'outbox table index/due': { read: 0.5 }, 'audit table': { write: 1 } });
  });
});

describe('DEPLOYED_PLACEMENT', () => {
  it('is the placement the stores run: a registration\'s 12 units land at 4 or fewer on every table', () => {
    const recording = recordingOf(call({ writes: [put('PATIENT#~a', 1500), put('EMAIL#~b'), put('PHONE#~c'), put('VERIFY#~d'), put('OUTBOX#~e')] }));
    const { byTable, writeUnits } = demandOf('register', placedIn(recording, DEPLOYED_PLACEMENT).operations.register!);
    expect(writeUnits).toBe(12);
    expect(byTable).toEqual({ table: { read: 0, write: 4 }, 'identities table': { read: 0, write: 4 }, 'tokens table': { read: 0, write: 2 }, 'outbox table': { read: 0, write: 2 } });
  });
});
