import { describe, expect, it } from 'vitest';
import {
  ceilingsOf, coldStartKms, concurrencyFor, costPerMillion, demandOf, dynamoDbLoads, indexWrites, itemWriteUnits, kmsQuotaClass, quotaFor, readUnits, verdictAt, writeUnits,
  type Inputs, type Prices, type Quotas,
} from '../../lib/tools/capacity/model.js';
import type { DynamoDbCall, IndexEntry, KmsCall, OperationRun, WrittenItem } from '../../lib/tools/capacity/recording.js';

/** The capacity model's arithmetic on small hand-made recordings (issue 23 item 3). */

const entry = (partitionKey: string, keyDigest = 'k1', digest = 'd1', bytes = 90): IndexEntry => ({ partitionKey, keyDigest, digest, bytes });
const item = (over: Partial<WrittenItem> = {}): WrittenItem => ({ table: 'table', partitionKey: 'PATIENT#~a', kind: 'Put', indexes: {}, ...over });
const call = (over: Partial<DynamoDbCall> = {}): DynamoDbCall => ({ service: 'dynamodb', fn: 'Register', command: 'PutItem', table: 'table', transactional: false, failed: false, writes: [], reads: [], ...over });

const quotas: Quotas = {
  kms: { symmetric: 10_000, ecc: 300, rsa: 500, GetPublicKey: 2_000 },
  dynamoDbTableReadUnits: 40_000, dynamoDbTableWriteUnits: 40_000,
  dynamoDbPartitionReadUnits: 3_000, dynamoDbPartitionWriteUnits: 1_000,
  sesSendRate: 14, smsPerSecond: 3, lambdaConcurrency: 1_000, apiGatewayRequests: 10_000,
};
const prices: Prices = {
  lambdaPerGbSecond: 0.00001, lambdaPerRequest: 0.0000002, apiGatewayPerRequest: 0.0000035,
  dynamoDbPerWriteUnit: 0.000001, dynamoDbPerReadUnit: 0.0000002,
  kmsPerRequest: { symmetric: 0.000003, ecc: 0.000015, rsa: 0.000015, GetPublicKey: 0.000003 },
  sesPerMessage: 0.0001, smsPerMessage: 0.01,
};
const inputs = (durationMs: Record<string, number>, viaApi = true): Inputs => ({ quotas, prices, durationMs, memoryMb: () => 1024, viaApi });

describe('units per item size', () => {
  it.each([
    [0, 1], [1, 1], [1024, 1], [1025, 2], [3000, 3], [4096, 4],
  ])('a write of %i bytes costs %i write units', (bytes, units) => expect(writeUnits(bytes)).toBe(units));

  it.each([
    [100, true, 1], [4096, true, 1], [4097, true, 2], [100, false, 0.5], [8193, false, 1.5], [0, false, 0.5],
  ])('a read of %i bytes (consistent: %s) costs %d read units', (bytes, consistent, units) => expect(readUnits(bytes, consistent)).toBe(units));

  it.each([
    ['a new item of 1,339 bytes', item({ afterBytes: 1339 }), false, 2],
    ['the same in a transaction (×2)', item({ afterBytes: 1339 }), true, 4],
    ['an update: the larger of before and after', item({ kind: 'Update', beforeBytes: 1000, afterBytes: 1100 }), false, 2],
    ['an update that shrinks the item', item({ kind: 'Update', beforeBytes: 2100, afterBytes: 100 }), false, 3],
    ['a delete: the item as it was', item({ kind: 'Delete', beforeBytes: 500 }), false, 1],
    ['a condition check on no item, in a transaction', item({ kind: 'ConditionCheck' }), true, 2],
  ])('%s', (_, written, transactional, units) => expect(itemWriteUnits(written, transactional)).toBe(units));
});

describe('index writes', () => {
  it.each([
    ['in the index neither before nor after', {}, 0],
    ['enters the index', { after: entry('OUTBOX') }, 1],
    ['leaves the index (a sent mail drops its due key)', { before: entry('OUTBOX') }, 1],
    ['its index key changes: a delete and a put', { before: entry('OUTBOX', 'k1'), after: entry('OUTBOX', 'k2') }, 2],
    ['a projected attribute changes', { before: entry('OUTBOX', 'k1', 'd1'), after: entry('OUTBOX', 'k1', 'd2') }, 1],
    ['nothing it projects changes', { before: entry('OUTBOX'), after: entry('OUTBOX') }, 0],
  ])('an item that %s', (_, change, writes) => expect(indexWrites(change)).toHaveLength(writes));

  it('a transaction doubles the table writes but not the index entries it keeps up to date', () => {
    const loads = dynamoDbLoads(call({
      command: 'TransactWriteItems', transactional: true,
      writes: [item({ partitionKey: 'OUTBOX#~1', afterBytes: 376, indexes: { due: { after: entry('OUTBOX', 'k', 'd', 93) } } })],
    }));
    expect(loads).toEqual([
      { where: 'table', partitionKey: 'OUTBOX#~1', kind: 'write', units: 2 },
      { where: 'table index/due', partitionKey: 'OUTBOX', kind: 'write', units: 1 },
    ]);
  });

  it('a Query on an index reads its entries on the partition its key condition names, eventually consistent', () => {
    const loads = dynamoDbLoads(call({ command: 'Query', reads: [{ index: 'due', consistent: false, partitionKey: 'OUTBOX', items: [{ bytes: 3000, partitionKey: 'OUTBOX' }, { bytes: 3000, partitionKey: 'OUTBOX' }] }] }));
    expect(loads).toEqual([{ where: 'table index/due', partitionKey: 'OUTBOX', kind: 'read', units: 1 }]);
  });
});

describe('KMS quota classes', () => {
  const kms = (over: Partial<KmsCall>): KmsCall => ({ service: 'kms', fn: 'Login', command: 'Sign', key: '$K', ...over });
  it.each([
    [kms({ command: 'Sign', signingAlgorithm: 'ECDSA_SHA_256' }), 'ecc'],
    [kms({ command: 'Sign', signingAlgorithm: 'RSASSA_PSS_SHA_256' }), 'rsa'],
    [kms({ command: 'GenerateMac', macAlgorithm: 'HMAC_SHA_256' }), 'symmetric'],
    [kms({ command: 'Decrypt' }), 'symmetric'],
    [kms({ command: 'GenerateDataKey' }), 'symmetric'],
    [kms({ command: 'GetPublicKey', keySpec: 'ECC_NIST_P256' }), 'GetPublicKey'],
  ])('%o counts against %s', (c, quotaClass) => expect(kmsQuotaClass(c)).toBe(quotaClass));
});

describe('an operation from its runs', () => {
  /** One run by one user: a patient write, an outbox put into the due index, a Sign, a mail. */
  const run = (user: string, duePartition: string, ms: number): OperationRun => ({
    durationMs: { Register: ms },
    calls: [
      call({ command: 'TransactWriteItems', transactional: true, writes: [
        item({ partitionKey: `PATIENT#~${user}`, afterBytes: 1339 }),
        item({ partitionKey: `OUTBOX#~${user}`, afterBytes: 376, indexes: { due: { after: entry(duePartition) } } }),
      ] }),
      { service: 'kms', fn: 'Register', command: 'Sign', key: '$K', signingAlgorithm: 'ECDSA_SHA_256' },
      { service: 'ses', fn: 'Register', command: 'SendEmail', recipients: 1 },
    ],
  });

  it('finds a partition key every user writes, and not one each user writes his own', () => {
    const shared = demandOf('register', { description: '', runs: [run('a', 'OUTBOX', 200), run('b', 'OUTBOX', 300), run('c', 'OUTBOX', 250)] });
    expect(shared.constantPartitions).toEqual([{ where: 'table index/due', kind: 'write', partitionKey: 'OUTBOX', units: 1 }]);
    const sharded = demandOf('register', { description: '', runs: [run('a', 'OUTBOX#3', 200), run('b', 'OUTBOX#17', 300), run('c', 'OUTBOX#9', 250)] });
    expect(sharded.constantPartitions).toEqual([]);
    expect(shared).toMatchObject({ writeUnits: 4 + 2 + 1, readUnits: 0, kms: { ecc: 1 }, ses: 1, durationMs: { Register: 250 } });
    expect(shared.byTable).toEqual({ table: { read: 0, write: 6 }, 'table index/due': { read: 0, write: 1 } });
  });

  it('prints the rate at which each quota stops it, lowest first', () => {
    const demand = demandOf('register', { description: '', runs: [run('a', 'OUTBOX', 250), run('b', 'OUTBOX', 250)] });
    const ceilings = ceilingsOf(demand, inputs(demand.durationMs));
    expect(ceilings.map((c) => [c.quota.split(' (')[0], c.perSecond])).toEqual([
      ['SES sending rate', 14],
      ['KMS ecc requests', 300],
      ['DynamoDB one partition, table index/due OUTBOX', 1_000],
      ['Lambda concurrency', 4_000], // 1,000 / 0.25 s
      ['DynamoDB table write units', 40_000 / 6],
      ['API Gateway requests', 10_000],
      ['DynamoDB table index/due write units', 40_000],
    ]);
    expect(concurrencyFor(10_000, demand.durationMs)).toBe(2_500);
    // What to ask for at 10,000/s: the table's 6 write units each; a shared partition no quota raises.
    const table = ceilings.find((c) => c.quota.startsWith('DynamoDB table write'))!;
    expect([quotaFor(10_000, table), table.adjustable]).toEqual([60_000, true]);
    expect(ceilings.find((c) => c.quota.startsWith('DynamoDB one partition'))!.adjustable).toBe(false);
  });

  it('splits what stops it below the target into quotas to ask for (with the value) and key designs to change', () => {
    const shared = demandOf('register', { description: '', runs: [run('a', 'OUTBOX', 250), run('b', 'OUTBOX', 250)] });
    const { toAsk, keyDesign } = verdictAt(10_000, ceilingsOf(shared, inputs(shared.durationMs)));
    expect(keyDesign.map((c) => c.quota.split(' (')[0])).toEqual(['DynamoDB one partition, table index/due OUTBOX']);
    expect(toAsk.map((q) => [q.quota.split(' (')[0], q.defaultValue, q.ask])).toEqual([
      ['SES sending rate', 14, 10_000],
      ['KMS ecc requests', 300, 10_000],
      ['Lambda concurrency', 1_000, 2_500],
      ['DynamoDB table write units', 40_000, 60_000],
    ]);
    const sharded = demandOf('register', { description: '', runs: [run('a', 'OUTBOX#3', 250), run('b', 'OUTBOX#17', 250)] });
    expect(verdictAt(10_000, ceilingsOf(sharded, inputs(sharded.durationMs))).keyDesign).toEqual([]);
  });

  it('tells what a cold start adds: the first run\'s KMS calls beyond the warm ones', () => {
    const demand = demandOf('register', { description: '', runs: [run('a', 'OUTBOX', 250)] });
    const cold = run('w', 'OUTBOX', 900);
    cold.calls.push(
      { service: 'kms', fn: 'Register', command: 'GetPublicKey', key: '$K', keySpec: 'ECC_NIST_P256' },
      { service: 'kms', fn: 'Register', command: 'GenerateMac', key: '$I', macAlgorithm: 'HMAC_SHA_256' },
      { service: 'kms', fn: 'Register', command: 'GenerateMac', key: '$I', macAlgorithm: 'HMAC_SHA_256' },
    );
    expect(coldStartKms(cold, demand)).toEqual({ GetPublicKey: 1, symmetric: 2 });
  });

  it('costs a million of them at the given prices', () => {
    const demand = demandOf('register', { description: '', runs: [run('a', 'OUTBOX', 250)] });
    const cost = costPerMillion(demand, inputs(demand.durationMs));
    expect(cost.lambda).toBeCloseTo(1e6 * (1 * 0.25 * 0.00001 + 0.0000002));
    expect(cost.apiGateway).toBeCloseTo(3.5);
    expect(cost.dynamoDb).toBeCloseTo(7);
    expect(cost.kms).toBeCloseTo(15);
    expect(cost.ses).toBeCloseTo(100);
    expect(costPerMillion(demand, inputs(demand.durationMs, false)).apiGateway).toBe(0);
  });
});
