/**
 * The capacity model (issue 23 item 3): pure arithmetic from a recording (recording.ts) to what one
 * user operation asks of each AWS quota, the rate at which each default quota stops it, and its
 * cost. Nothing here knows which calls an operation makes: it reads them from the recording. The
 * quotas and prices are inputs (quotas.ts names their sources).
 */
import type { CapacityRecording, DynamoDbCall, IndexEntry, KmsCall, OperationRun, RecordedCall, WrittenItem } from './recording.js';

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

/** Write units for an item of this size: 1 per KB started (at least 1). */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));

/** Read units for this many bytes read in one request: 1 per 4 KB started when consistent, half that when eventually consistent. */
export const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES)) * (consistent ? 1 : 0.5);

/** One unit of load on one partition (of the table or of an index). */
export interface PartitionLoad {
  /** "table", "audit table", "table index/due". */
  where: string;
  partitionKey: string;
  kind: 'read' | 'write';
  units: number;
}

/**
 * The index writes an item's change costs: none if the item is in the index neither before nor
 * after or its projection did not change; one to add, remove or rewrite an entry; two (a delete and
 * a put) when its index key changed.
 */
export function indexWrites(change: { before?: IndexEntry; after?: IndexEntry }): IndexEntry[] {
  const { before, after } = change;
  if (!before) return after ? [after] : [];
  if (!after) return [before];
  if (before.keyDigest !== after.keyDigest) return [before, after];
  return before.digest === after.digest ? [] : [after];
}

/**
 * Write units a written item costs on the table: the larger of its sizes before and after (a delete
 * or a condition check: the item as it was), doubled inside a transaction.
 */
export function itemWriteUnits(item: WrittenItem, transactional: boolean): number {
  const bytes = Math.max(item.beforeBytes ?? 0, item.afterBytes ?? 0);
  return writeUnits(bytes) * (transactional ? 2 : 1);
}

/** Every partition a DynamoDB call loads and by how much. */
export function dynamoDbLoads(call: DynamoDbCall): PartitionLoad[] {
  const loads: PartitionLoad[] = [];
  for (const item of call.writes) {
    loads.push({ where: item.table, partitionKey: item.partitionKey, kind: 'write', units: itemWriteUnits(item, call.transactional) });
    // Index entries are kept up to date as standard writes (not doubled by a transaction).
    for (const [index, change] of Object.entries(item.indexes)) {
      for (const entry of indexWrites(change)) loads.push({ where: `${item.table} index/${index}`, partitionKey: entry.partitionKey, kind: 'write', units: writeUnits(entry.bytes) });
    }
  }
  for (const read of call.reads) {
    const where = read.index ? `${call.table} index/${read.index}` : call.table;
    const bytes = read.items.reduce((sum, i) => sum + i.bytes, 0);
    const units = readUnits(bytes, read.consistent) * (call.transactional ? 2 : 1);
    // A Query's units land on the partition it names; a GetItem's on its item's.
    const partitionKey = read.partitionKey ?? read.items[0]?.partitionKey ?? '?';
    loads.push({ where, partitionKey, kind: 'read', units });
  }
  return loads;
}

/** The KMS request quota a call counts against. */
export type KmsQuotaClass = 'symmetric' | 'ecc' | 'rsa' | 'GetPublicKey';

export function kmsQuotaClass(call: KmsCall): KmsQuotaClass {
  if (call.command === 'GetPublicKey') return 'GetPublicKey';
  const algorithm = call.signingAlgorithm ?? call.encryptionAlgorithm ?? '';
  if (/^ECDSA_|^SM2/.test(algorithm) || /^ECC_/.test(call.keySpec ?? '')) return 'ecc';
  if (/^RSA/.test(algorithm) || /^RSA_/.test(call.keySpec ?? '')) return 'rsa';
  return 'symmetric';
}

/** What one performance of an operation asks for, averaged over the recorded runs. */
export interface OperationDemand {
  name: string;
  description: string;
  runs: number;
  kms: Partial<Record<KmsQuotaClass, number>>;
  readUnits: number;
  writeUnits: number;
  /** Units per table or index ("table", "table index/due"), reads and writes. */
  byTable: Record<string, { read: number; write: number }>;
  /** Partitions every run loaded under the same key: one partition for every user. */
  constantPartitions: (PartitionLoad & { units: number })[];
  ses: number;
  sms: number;
  /** Median handler time per function invoked (ms), from the recording. */
  durationMs: Record<string, number>;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const isDynamo = (c: RecordedCall): c is DynamoDbCall => c.service === 'dynamodb';
const isKms = (c: RecordedCall): c is KmsCall => c.service === 'kms';

function runLoads(run: OperationRun): PartitionLoad[] {
  return run.calls.filter(isDynamo).flatMap(dynamoDbLoads);
}

export function demandOf(name: string, operation: { description: string; runs: OperationRun[] }): OperationDemand {
  const { runs } = operation;
  const perRun = <T extends string>(keysOf: (run: OperationRun) => T[]) => {
    const totals: Partial<Record<T, number>> = {};
    for (const run of runs) for (const key of keysOf(run)) totals[key] = (totals[key] ?? 0) + 1 / runs.length;
    return totals;
  };
  const loads = runs.map(runLoads);
  const byTable: Record<string, { read: number; write: number }> = {};
  for (const runLoad of loads) {
    for (const load of runLoad) {
      const entry = (byTable[load.where] ??= { read: 0, write: 0 });
      entry[load.kind] += load.units / runs.length;
    }
  }
  // A partition key is shared by everyone if every run (each by another user) loaded it.
  const keyOf = (l: PartitionLoad) => `${l.where}\u0000${l.kind}\u0000${l.partitionKey}`;
  const constant = runs.length < 2 ? [] : [...new Set(loads[0]!.map(keyOf))].filter((k) => loads.every((runLoad) => runLoad.some((l) => keyOf(l) === k)));
  const constantPartitions = constant.map((k) => {
    const [where, kind, partitionKey] = k.split('\u0000') as [string, 'read' | 'write', string];
    const units = mean(loads.map((runLoad) => runLoad.filter((l) => keyOf(l) === k).reduce((sum, l) => sum + l.units, 0)));
    return { where, kind, partitionKey, units };
  });
  const functions = [...new Set(runs.flatMap((r) => Object.keys(r.durationMs)))];
  return {
    name,
    description: operation.description,
    runs: runs.length,
    kms: perRun((run) => run.calls.filter(isKms).map(kmsQuotaClass)),
    readUnits: mean(loads.map((l) => l.filter((x) => x.kind === 'read').reduce((s, x) => s + x.units, 0))),
    writeUnits: mean(loads.map((l) => l.filter((x) => x.kind === 'write').reduce((s, x) => s + x.units, 0))),
    byTable,
    constantPartitions,
    ses: mean(runs.map((r) => r.calls.filter((c) => c.service === 'ses').reduce((s, c) => s + ('recipients' in c ? c.recipients : 1), 0))),
    sms: mean(runs.map((r) => r.calls.filter((c) => c.service === 'sms').length)),
    durationMs: Object.fromEntries(functions.map((fn) => [fn, median(runs.map((r) => r.durationMs[fn]).filter((v): v is number => v !== undefined))])),
  };
}

export const demandsOf = (recording: CapacityRecording) =>
  Object.entries(recording.operations).map(([name, operation]) => demandOf(name, operation));

/** Default quotas (per second unless named otherwise) and prices; quotas.ts gives the values and their sources. */
export interface Quotas {
  kms: Record<KmsQuotaClass, number>;
  dynamoDbTableReadUnits: number;
  dynamoDbTableWriteUnits: number;
  dynamoDbPartitionReadUnits: number;
  dynamoDbPartitionWriteUnits: number;
  sesSendRate: number;
  smsPerSecond: number;
  lambdaConcurrency: number;
  apiGatewayRequests: number;
}

export interface Prices {
  lambdaPerGbSecond: number;
  lambdaPerRequest: number;
  apiGatewayPerRequest: number;
  dynamoDbPerWriteUnit: number;
  dynamoDbPerReadUnit: number;
  kmsPerRequest: Record<KmsQuotaClass, number>;
  sesPerMessage: number;
  smsPerMessage: number;
}

/** One quota's ceiling for an operation alone: the rate at which it would be used up. */
export interface Ceiling {
  quota: string;
  perSecond: number;
  /** The quota's default value, and what one operation takes of it. */
  limit: number;
  perOperation: number;
  /** A partition's throughput is no quota: only another key design raises it. */
  adjustable: boolean;
  note?: string;
}

/** The value a quota must have for `rate` operations a second. */
export const quotaFor = (rate: number, ceiling: Ceiling) => Math.ceil(rate * ceiling.perOperation);

/** A raisable quota that stops an operation below the target rate, and the value to ask for. */
export interface QuotaToAsk {
  quota: string;
  defaultValue: number;
  ask: number;
}

/**
 * Whether an operation reaches `rate` a second (issue 23's goal): what stops it below that splits into
 * quotas to ask for (with the value each needs: Lambda concurrency, a table's on-demand maximum, …) and
 * ceilings no quota raises (a shared partition: a key design to change). The goal is met when the
 * second list is empty; the first is then what to ask for before that rate.
 */
export function verdictAt(rate: number, ceilings: readonly Ceiling[]): { toAsk: QuotaToAsk[]; keyDesign: Ceiling[] } {
  const below = ceilings.filter((c) => c.perSecond < rate);
  return {
    toAsk: below.filter((c) => c.adjustable).map((c) => ({ quota: c.quota, defaultValue: c.limit, ask: quotaFor(rate, c) })),
    keyDesign: below.filter((c) => !c.adjustable),
  };
}

export interface Inputs {
  quotas: Quotas;
  prices: Prices;
  /** Lambda duration per function for this operation (ms): measured medians, from the bench or the recording. */
  durationMs: Record<string, number>;
  memoryMb: (fn: string) => number;
  /** Whether the operation is an API request (API Gateway counts it); the outbox's mails and texts are not. */
  viaApi: boolean;
}

/** Each default quota's ceiling for this operation alone, lowest first (unlimited ones left out). */
export function ceilingsOf(demand: OperationDemand, { quotas, durationMs, viaApi }: Inputs): Ceiling[] {
  const ceilings: Ceiling[] = [];
  const add = (quota: string, limit: number, perOperation: number, note?: string) => {
    if (perOperation > 0) ceilings.push({ quota, perSecond: limit / perOperation, limit, perOperation, adjustable: !note, ...(note && { note }) });
  };
  for (const [quotaClass, calls] of Object.entries(demand.kms) as [KmsQuotaClass, number][]) add(`KMS ${quotaClass} requests (${quotas.kms[quotaClass]}/s)`, quotas.kms[quotaClass], calls);
  // The per-table on-demand maximum applies to the table and to each of its global secondary indexes.
  for (const [where, units] of Object.entries(demand.byTable)) {
    add(`DynamoDB ${where} write units (${quotas.dynamoDbTableWriteUnits}/s)`, quotas.dynamoDbTableWriteUnits, units.write);
    add(`DynamoDB ${where} read units (${quotas.dynamoDbTableReadUnits}/s)`, quotas.dynamoDbTableReadUnits, units.read);
  }
  for (const p of demand.constantPartitions) {
    const limit = p.kind === 'write' ? quotas.dynamoDbPartitionWriteUnits : quotas.dynamoDbPartitionReadUnits;
    add(`DynamoDB one partition, ${p.where} ${p.partitionKey} (${limit} ${p.kind} units/s)`, limit, p.units, 'the same key for every user');
  }
  add(`SES sending rate (${quotas.sesSendRate}/s)`, quotas.sesSendRate, demand.ses);
  add(`SMS throughput (${quotas.smsPerSecond}/s)`, quotas.smsPerSecond, demand.sms);
  if (viaApi) add(`API Gateway requests (${quotas.apiGatewayRequests}/s per account)`, quotas.apiGatewayRequests, 1);
  add(`Lambda concurrency (${quotas.lambdaConcurrency})`, quotas.lambdaConcurrency, concurrencyPerRate(durationMs));
  return ceilings.sort((a, b) => a.perSecond - b.perSecond);
}

/** Concurrent executions one operation per second keeps busy: the sum of its functions' durations, in seconds. */
export const concurrencyPerRate = (durationMs: Record<string, number>) => Object.values(durationMs).reduce((s, ms) => s + ms, 0) / 1000;

/** The Lambda concurrency to ask for to run this operation alone at `rate` per second. */
export const concurrencyFor = (rate: number, durationMs: Record<string, number>) => Math.ceil(rate * concurrencyPerRate(durationMs));

/** Cost of one million operations at the given prices, by service. */
export function costPerMillion(demand: OperationDemand, { prices, durationMs, memoryMb, viaApi }: Inputs): Record<string, number> {
  const million = 1_000_000;
  const functions = Object.keys(durationMs);
  const gbSeconds = functions.reduce((s, fn) => s + (memoryMb(fn) / 1024) * (durationMs[fn]! / 1000), 0);
  const kms = (Object.entries(demand.kms) as [KmsQuotaClass, number][]).reduce((s, [c, n]) => s + n * prices.kmsPerRequest[c], 0);
  return {
    lambda: million * (gbSeconds * prices.lambdaPerGbSecond + functions.length * prices.lambdaPerRequest),
    apiGateway: viaApi ? million * prices.apiGatewayPerRequest : 0,
    dynamoDb: million * (demand.writeUnits * prices.dynamoDbPerWriteUnit + demand.readUnits * prices.dynamoDbPerReadUnit),
    kms: million * kms,
    ses: million * demand.ses * prices.sesPerMessage,
    sms: million * demand.sms * prices.smsPerMessage,
  };
}

/**
 * KMS calls a cold start adds to an operation: the warm-up run (each function's first invocation)
 * minus the mean of the warm runs, per quota class; only what it adds.
 */
export function coldStartKms(cold: OperationRun, warm: OperationDemand): Partial<Record<KmsQuotaClass, number>> {
  const counts: Partial<Record<KmsQuotaClass, number>> = {};
  for (const c of cold.calls.filter(isKms)) counts[kmsQuotaClass(c)] = (counts[kmsQuotaClass(c)] ?? 0) + 1;
  return Object.fromEntries(
    (Object.entries(counts) as [KmsQuotaClass, number][]).map(([k, n]) => [k, n - (warm.kms[k] ?? 0)]).filter(([, n]) => (n as number) > 0),
  );
}
