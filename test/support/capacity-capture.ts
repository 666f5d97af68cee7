import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../lib/local/services.js';
import type { DynamoDbCall, IndexEntry, OperationRun, ReadItem, RecordedCall, TableDescription, WrittenItem } from '../../lib/tools/capacity/recording.js';

/**
 * The capacity recorder (issue 23 item 3): while a capture is open, every command a function's
 * client sends is recorded with what it costs — for DynamoDB the size of each item before and after
 * a write, the index entries it has, whether a read is consistent, whether a write is part of a
 * transaction; for KMS the key and algorithm; for SES and SMS the recipients. record-aws-calls.ts
 * calls captureCall from its middleware; outside a capture nothing is done (the IAM recording stays
 * as it was). Sizes come from side reads of the items on a client of the recorder's own, which the
 * recorder does not see; their time is taken out of the handler times it reports.
 *
 * State lives on globalThis: the setup file and the test file must share one capture even if the
 * module were loaded twice.
 */
interface CaptureState {
  run?: OperationRun;
  /** Calls that began in a capture and ended after it closed: a capture that closed too early. */
  late: number;
  /** Time the recorder spent on its own reads, per function, since the capture opened. */
  sideReadMs: Map<string, number>;
  tables: Map<string, Promise<TableDescription>>;
  client?: DynamoDBClient;
}
const KEY = Symbol.for('patient-registration.capacity-capture');
const state: CaptureState = ((globalThis as Record<symbol, unknown>)[KEY] ??= { sideReadMs: new Map(), tables: new Map(), late: 0 }) as CaptureState;

export function openCapture(): void {
  state.run = { calls: [], durationMs: {} };
  state.sideReadMs.clear();
}

export function closeCapture(): OperationRun {
  const run = state.run;
  if (!run) throw new Error('no capture open');
  state.run = undefined;
  return run;
}

/** Times a handler invocation of `fn` in the open capture, minus the recorder's side reads meanwhile. */
export async function timed<T>(fn: string, invocation: () => Promise<T>): Promise<T> {
  const sideBefore = state.sideReadMs.get(fn) ?? 0;
  const start = performance.now();
  try {
    return await invocation();
  } finally {
    const run = state.run;
    if (run) {
      const ms = performance.now() - start - ((state.sideReadMs.get(fn) ?? 0) - sideBefore);
      run.durationMs[fn] = (run.durationMs[fn] ?? 0) + ms;
    }
  }
}

/** How many calls ended after their capture had closed (and so were not recorded). */
export const lateCalls = () => state.late;

/** Adds a call to the capture it began in, if that capture is still open. */
function keepCall(run: OperationRun, call: RecordedCall): void {
  if (state.run === run) run.calls.push(call);
  else state.late++;
}

/** The table's own name in a recording: the IAM recorder's resource names. */
export const tableLabel = (name: string) =>
  name === process.env.TABLE_NAME ? 'table' : name === process.env.AUDIT_TABLE_NAME ? 'audit table' : name;

export function describeTable(name: string): Promise<TableDescription> {
  let description = state.tables.get(name);
  if (!description) {
    description = (async () => {
      const { Table } = await sideClient().send(new DescribeTableCommand({ TableName: name }));
      const hash = (schema: { AttributeName?: string; KeyType?: string }[] = []) => schema.find((k) => k.KeyType === 'HASH')!.AttributeName!;
      const range = (schema: { AttributeName?: string; KeyType?: string }[] = []) => schema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
      return {
        partitionKey: hash(Table!.KeySchema),
        sortKey: range(Table!.KeySchema),
        indexes: (Table!.GlobalSecondaryIndexes ?? []).map((index) => ({
          name: index.IndexName!,
          partitionKey: hash(index.KeySchema),
          sortKey: range(index.KeySchema),
          projection: (index.Projection?.ProjectionType ?? 'ALL') as 'ALL' | 'KEYS_ONLY' | 'INCLUDE',
          ...(index.Projection?.NonKeyAttributes && { nonKeyAttributes: index.Projection.NonKeyAttributes }),
        })),
      };
    })();
    state.tables.set(name, description);
  }
  return description;
}

/** Every table described so far, under its label. */
export async function describedTables(): Promise<Record<string, TableDescription>> {
  const entries = await Promise.all([...state.tables.entries()].map(async ([name, d]) => [tableLabel(name), await d] as const));
  return Object.fromEntries(entries);
}

function sideClient(): DynamoDBClient {
  return (state.client ??= new DynamoDBClient(localClientConfig(process.env.DYNAMODB_ENDPOINT!)));
}

// --- DynamoDB item sizes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: about one byte per two significant digits, plus one. */
export function numberBytes(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

export function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + b.length, 0);
  // Lists and maps: 3 bytes of overhead, and 1 byte per element.
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueBytes(v), 0);
  throw new Error(`unknown attribute value ${Object.keys(value).join()}`);
}

export const attributesBytes = (item: Record<string, AttributeValue>, names = Object.keys(item)) =>
  names.reduce((sum, name) => (item[name] ? sum + utf8(name) + valueBytes(item[name]!) : sum), 0);

/** A key value as a recording keeps it: constant-looking literals as they are, anything else hashed behind its prefix. */
export function pseudonym(value: AttributeValue | undefined): string {
  const text = value?.S ?? value?.N ?? (value?.B ? Buffer.from(value.B).toString('base64') : JSON.stringify(value));
  if (/^[A-Z][A-Z0-9_]*$/.test(text)) return text;
  const hash = text.indexOf('#');
  return `${hash < 0 ? '' : text.slice(0, hash + 1)}~${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
}

const digest = (item: Record<string, AttributeValue>, names: string[]) =>
  createHash('sha256').update(JSON.stringify(names.map((n) => [n, item[n] ?? null]))).digest('hex').slice(0, 16);

function indexEntry(item: Record<string, AttributeValue> | undefined, table: TableDescription, index: TableDescription['indexes'][number]): IndexEntry | undefined {
  if (!item?.[index.partitionKey] || (index.sortKey && !item[index.sortKey])) return undefined; // sparse: not in the index
  const keyNames = [...new Set([table.partitionKey, table.sortKey, index.partitionKey, index.sortKey].filter((n): n is string => !!n))];
  const projected = index.projection === 'ALL' ? Object.keys(item) : [...new Set([...keyNames, ...(index.nonKeyAttributes ?? [])])];
  return {
    partitionKey: pseudonym(item[index.partitionKey]),
    keyDigest: digest(item, [index.partitionKey, index.sortKey].filter((n): n is string => !!n)),
    digest: digest(item, projected.sort()),
    bytes: attributesBytes(item, projected),
  };
}

// --- the side reads

/** Side reads in flight per function, and since when: overlapping reads count once (the union of their times). */
const inFlight = new Map<string, { count: number; since: number }>();

async function sideRead(fn: string, tableName: string, key: Record<string, AttributeValue>): Promise<Record<string, AttributeValue> | undefined> {
  const flight = inFlight.get(fn) ?? { count: 0, since: 0 };
  if (flight.count++ === 0) flight.since = performance.now();
  inFlight.set(fn, flight);
  try {
    return (await sideClient().send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  } finally {
    if (--flight.count === 0) state.sideReadMs.set(fn, (state.sideReadMs.get(fn) ?? 0) + performance.now() - flight.since);
  }
}

// The functions' clients are document clients: inputs and outputs hold plain values. Keys are strings
// or numbers here (the key schema says S for every key of both tables).
type Plain = Record<string, any>;
const attribute = (value: unknown): AttributeValue =>
  typeof value === 'number' ? { N: String(value) } : value instanceof Uint8Array ? { B: value } : { S: String(value) };

async function keyOf(tableName: string, item: Plain): Promise<Record<string, AttributeValue>> {
  const table = await describeTable(tableName);
  const key: Record<string, AttributeValue> = { [table.partitionKey]: attribute(item[table.partitionKey]) };
  if (table.sortKey) key[table.sortKey] = attribute(item[table.sortKey]);
  return key;
}

interface PlannedWrite { tableName: string; kind: WrittenItem['kind']; key: Record<string, AttributeValue>; before?: Record<string, AttributeValue> }

async function plannedWrites(fn: string, command: string, input: Plain): Promise<PlannedWrite[]> {
  const plan: { tableName: string; kind: WrittenItem['kind']; item: Plain }[] = [];
  switch (command) {
    case 'PutItem': plan.push({ tableName: input.TableName, kind: 'Put', item: input.Item }); break;
    case 'UpdateItem': plan.push({ tableName: input.TableName, kind: 'Update', item: input.Key }); break;
    case 'DeleteItem': plan.push({ tableName: input.TableName, kind: 'Delete', item: input.Key }); break;
    case 'TransactWriteItems':
      for (const entry of input.TransactItems as Plain[]) {
        const [kind, body] = Object.entries(entry)[0] as [WrittenItem['kind'], Plain];
        plan.push({ tableName: body.TableName, kind, item: kind === 'Put' ? body.Item : body.Key });
      }
      break;
    case 'BatchWriteItem':
      for (const [tableName, requests] of Object.entries(input.RequestItems as Record<string, Plain[]>)) {
        for (const r of requests) plan.push(r.PutRequest ? { tableName, kind: 'Put', item: r.PutRequest.Item } : { tableName, kind: 'Delete', item: r.DeleteRequest.Key });
      }
      break;
    default: return [];
  }
  return Promise.all(plan.map(async (p) => {
    const key = await keyOf(p.tableName, p.item);
    return { tableName: p.tableName, kind: p.kind, key, before: await sideRead(fn, p.tableName, key) };
  }));
}

async function writtenItem(fn: string, planned: PlannedWrite): Promise<WrittenItem> {
  const table = await describeTable(planned.tableName);
  const after = await sideRead(fn, planned.tableName, planned.key);
  return {
    table: tableLabel(planned.tableName),
    partitionKey: pseudonym(planned.key[table.partitionKey]),
    kind: planned.kind,
    ...(planned.before && { beforeBytes: attributesBytes(planned.before) }),
    ...(after && { afterBytes: attributesBytes(after) }),
    indexes: Object.fromEntries(table.indexes.map((index) => {
      const before = indexEntry(planned.before, table, index);
      const now = indexEntry(after, table, index);
      return [index.name, { ...(before && { before }), ...(now && { after: now }) }];
    })),
  };
}

/** What a read consumed: the full items (a GetItem), or the index entries a Query on an index returned. */
async function readsOf(fn: string, command: string, input: Plain, output: Plain | undefined): Promise<DynamoDbCall['reads']> {
  const fullItem = async (tableName: string, item: Plain): Promise<ReadItem> => {
    const table = await describeTable(tableName);
    const key = await keyOf(tableName, item);
    const stored = await sideRead(fn, tableName, key);
    return { bytes: stored ? attributesBytes(stored) : 0, partitionKey: pseudonym(key[table.partitionKey]) };
  };
  switch (command) {
    case 'GetItem':
      return [{ consistent: input.ConsistentRead === true, items: [await fullItem(input.TableName, input.Key)] }];
    case 'BatchGetItem':
      return (await Promise.all(Object.entries(input.RequestItems as Record<string, Plain>).map(([tableName, request]) =>
        Promise.all((request.Keys as Plain[]).map(async (k) => ({ consistent: request.ConsistentRead === true, items: [await fullItem(tableName, k)] })))))).flat();
    case 'TransactGetItems':
      return Promise.all((input.TransactItems as Plain[]).map(async (e) => ({ consistent: true, items: [await fullItem(e.Get.TableName, e.Get.Key)] })));
    case 'Query':
    case 'Scan': {
      const table = await describeTable(input.TableName);
      const index = table.indexes.find((i) => i.name === input.IndexName);
      const items = await Promise.all(((output?.Items ?? []) as Plain[]).map(async (item) => {
        const key = await keyOf(input.TableName, item);
        const stored = (await sideRead(fn, input.TableName, key)) ?? {};
        const entry = index ? indexEntry(stored, table, index) : undefined;
        return { bytes: entry ? entry.bytes : attributesBytes(stored), partitionKey: entry ? entry.partitionKey : pseudonym(key[table.partitionKey]) };
      }));
      const values = (input.ExpressionAttributeValues ?? {}) as Plain;
      // The partition a Query reads: the value its key condition names for the (index) partition key.
      const partitionName = index ? index.partitionKey : table.partitionKey;
      const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const match = new RegExp(`(?:^|\\s|\\()(#?\\w+)\\s*=\\s*(:\\w+)`).exec(String(input.KeyConditionExpression ?? ''));
      const named = match && (names[match[1]!] ?? match[1]) === partitionName ? values[match[2]!] : undefined;
      return [{
        ...(input.IndexName && { index: String(input.IndexName) }),
        consistent: input.ConsistentRead === true,
        items,
        ...(named !== undefined && { partitionKey: pseudonym(attribute(named)) }),
      }];
    }
    default:
      return [];
  }
}

const failedCondition = (error: unknown) =>
  error instanceof Error && ['ConditionalCheckFailedException', 'TransactionCanceledException'].includes(error.name);

async function captureDynamoDb(run: OperationRun, fn: string, command: string, input: Plain, send: () => Promise<unknown>): Promise<unknown> {
  const firstTransactItem = input.TransactItems?.[0] ? (Object.values(input.TransactItems[0] as Plain)[0] as Plain) : undefined;
  const tableName = String(input.TableName ?? Object.keys(input.RequestItems ?? {})[0] ?? firstTransactItem?.TableName);
  await describeTable(tableName);
  const planned = await plannedWrites(fn, command, input);
  let output: Plain | undefined;
  let error: unknown;
  try {
    output = (await send()) as Plain;
  } catch (caught) {
    error = caught;
  }
  const call: DynamoDbCall = {
    service: 'dynamodb',
    fn,
    command,
    table: tableLabel(tableName),
    transactional: command.startsWith('Transact'),
    failed: error !== undefined,
    writes: await Promise.all(planned.map((p) => writtenItem(fn, p))),
    reads: error === undefined ? await readsOf(fn, command, input, (output as Plain)?.output ?? output) : [],
  };
  // A refused condition still consumed capacity; any other error is not a call DynamoDB served.
  if (error === undefined || failedCondition(error)) keepCall(run, call);
  if (error !== undefined) throw error;
  return output;
}

/**
 * Called by the IAM recorder's middleware for every command a function's client sends; `send` runs
 * the rest of the middleware stack. Outside a capture it only sends.
 */
export async function captureCall(fn: string, clientName: string, commandName: string, input: Plain, send: () => Promise<unknown>): Promise<unknown> {
  const run = state.run;
  if (!run) return send();
  const command = commandName.replace(/Command$/, '');
  if (clientName === 'DynamoDBClient') return captureDynamoDb(run, fn, command, input, send);
  const output = (await send()) as Plain;
  let call: RecordedCall;
  if (clientName === 'KMSClient') {
    const result = output?.output ?? output;
    call = {
      service: 'kms', fn, command,
      key: symbolOf(String(input.KeyId)),
      ...(input.SigningAlgorithm && { signingAlgorithm: String(input.SigningAlgorithm) }),
      ...(input.MacAlgorithm && { macAlgorithm: String(input.MacAlgorithm) }),
      ...(input.EncryptionAlgorithm && { encryptionAlgorithm: String(input.EncryptionAlgorithm) }),
      ...(result?.KeySpec && { keySpec: String(result.KeySpec) }),
    };
  } else if (clientName === 'SESClient') {
    const d = input.Destination ?? {};
    call = { service: 'ses', fn, command, recipients: [d.ToAddresses, d.CcAddresses, d.BccAddresses].flat().filter(Boolean).length || 1 };
  } else {
    call = { service: 'sms', fn, command, recipients: 1 };
  }
  keepCall(run, call);
  return output;
}

/** A KMS key id as the configuration names it. */
function symbolOf(keyId: string): string {
  const variable = ['KMS_KEY_ID', 'IDENTIFIER_KEY_ID', 'ACCESS_TOKEN_SIGNING_KEY_ID'].find((v) => process.env[v] === keyId);
  return variable ? `$${variable}` : keyId;
}
