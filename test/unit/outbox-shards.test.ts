import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTBOX_SHARDS, dueShardOf, dueShards, PRE_SHARDING_DUE_PARTITION } from '../../lib/adapters/dynamodb/keys.js';
import { outboxItem } from '../../lib/adapters/dynamodb/outbox-store.js';

/**
 * Issue 23 item 1: the outbox's due index has no constant partition key. Each item's index entry goes
 * to the shard of its id (every writer computes the same one), the shards share the items evenly,
 * and the sweep's list of shards holds every shard a writer can choose.
 * (The write paths of every operation are checked against DynamoDB Local: test/contract/dynamodb.contract.test.ts.)
 */
const mail = (id = randomUUID()) => ({
  kind: 'verification_email' as const, id, patientId: randomUUID(), to: 'jane@example.com', firstName: 'Jane',
  verifyUrl: 'https://app.clinic.test/verify-email?token=t', createdAt: '2026-01-01T00:00:00.000Z',
});

describe('the due index shard of an outbox item', () => {
  it('is a function of its id: the same for every writer, in every process', () => {
    const id = randomUUID();
    expect(dueShardOf(id, 32)).toBe(dueShardOf(id, 32));
    expect(dueShardOf('00000000-0000-4000-8000-000000000000', 32)).toBe('OUTBOX#21'); // stable across versions: FNV-1a
  });

  it('is written with the item, as its due_pk: items of different ids land on different partitions', () => {
    const items = Array.from({ length: 200 }, () => outboxItem(mail(), DEFAULT_OUTBOX_SHARDS));
    expect(new Set(items.map((item) => item.due_pk)).size).toBeGreaterThan(16);
    for (const item of items) expect(item.due_pk).toBe(dueShardOf(String(item.pk).slice('OUTBOX#'.length), DEFAULT_OUTBOX_SHARDS));
  });

  it.each([1, 2, 32, 256])('spreads ids evenly over all %i shards, each one of those the sweep reads', (shards) => {
    const perShard = new Map<string, number>();
    const count = shards * 100;
    for (let i = 0; i < count; i++) {
      const shard = dueShardOf(randomUUID(), shards);
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    expect(perShard.size).toBe(shards);
    expect(dueShards(shards)).toEqual(expect.arrayContaining([...perShard.keys()]));
    // 100 expected per shard; 50 is over 5 standard deviations below.
    for (const n of perShard.values()) expect(n).toBeGreaterThan(50);
  });
});

describe('the sweep', () => {
  it('reads every shard, and the one partition of the items queued before sharding (never written any more)', () => {
    expect(dueShards(3)).toEqual(['OUTBOX#0', 'OUTBOX#1', 'OUTBOX#2', PRE_SHARDING_DUE_PARTITION]);
    expect(PRE_SHARDING_DUE_PARTITION).toBe('OUTBOX');
  });
});
