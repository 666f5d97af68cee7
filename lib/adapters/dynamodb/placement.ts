import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DUE_INDEX } from './keys.js';

/**
 * Which table each item family lives in (issue 23). DynamoDB's default on-demand maximum is 40,000
 * write units a second per table: a registration's transaction is 12 units and a sign-in's 12, so
 * on one table both stop at 3,333/s. Four tables keep every table at 4 units or fewer of a register,
 * a login or a refresh (measured: `npm run capacity`), so the defaults carry 10,000/s of each:
 *
 * - identities: who holds which address and number (EMAIL#, PHONE#, PHONECLAIM#), the password
 *   attempt counters (LOGIN#) and each patient's session index (SESSIONS#, beside the counters: a
 *   sign-in's transaction also checks the 4-unit patient item, which must be on another table);
 * - tokens: what a link or a sign-in hands out and later spends (VERIFY#, RESET#, EMAILMOVE#,
 *   FAMILY#, REFRESH#, MFA#, WEBAUTHN#);
 * - outbox: the mails and texts to send (OUTBOX#), with the due index and the stream the mailer reads;
 * - the patient table: the patient item and everything else (passkeys, TOTP, codes, rate limits,
 *   idempotency records).
 *
 * The stores name one table (the patient table) in every command; the client the storage is built
 * on moves each command to its item's table here, by partition-key prefix, so a family can move
 * without touching a store, and a transaction may span tables (DynamoDB allows it in one account and
 * region). With every name the same (`npm start`, the integration suite) nothing moves.
 */
export type TableRole = 'identities' | 'tokens' | 'outbox';

export const TABLE_OF_PREFIX: Readonly<Record<string, TableRole>> = {
  EMAIL: 'identities',
  PHONE: 'identities',
  PHONECLAIM: 'identities',
  LOGIN: 'identities',
  SESSIONS: 'identities',
  VERIFY: 'tokens',
  RESET: 'tokens',
  EMAILMOVE: 'tokens',
  FAMILY: 'tokens',
  REFRESH: 'tokens',
  MFA: 'tokens',
  WEBAUTHN: 'tokens',
  OUTBOX: 'outbox',
};

/** The role of an item's table by its partition key, `undefined` for the patient table. */
export const roleOfKey = (partitionKey: string): TableRole | undefined => {
  const prefix = partitionKey.split('#')[0]!;
  return Object.hasOwn(TABLE_OF_PREFIX, prefix) ? TABLE_OF_PREFIX[prefix] : undefined;
};

export interface TableNames {
  /** The patient table, and the name every store's command carries. */
  tableName: string;
  identityTableName: string;
  tokenTableName: string;
  outboxTableName: string;
}

export type TablePlacement = (partitionKey: string) => string;

export function placementOf(names: TableNames): TablePlacement {
  const byRole: Record<TableRole, string> = { identities: names.identityTableName, tokens: names.tokenTableName, outbox: names.outboxTableName };
  return (partitionKey) => {
    const role = roleOfKey(partitionKey);
    return role ? byRole[role] : names.tableName;
  };
}

export const isSingleTable = (names: TableNames): boolean =>
  [names.identityTableName, names.tokenTableName, names.outboxTableName].every((name) => name === names.tableName);

type Input = Record<string, any>;

/** A key's partition value, in the document client's form or the low-level one. */
function partitionOf(key: Input | undefined): string {
  const pk = key?.pk;
  const value = typeof pk === 'string' ? pk : pk?.S;
  if (typeof value !== 'string') throw new Error('table placement: a command without a pk');
  return value;
}

/** The partition a Query names in `pk = :value` (the stores' only form). */
function queriedPartition(input: Input): string {
  const placeholder = /\bpk\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression ?? ''))?.[1];
  return partitionOf({ pk: placeholder ? input.ExpressionAttributeValues?.[placeholder] : undefined });
}

/** Regroups one logical table's entries of a batch map by their tables (keys of `field`). */
function regroup(map: Input, logical: string, place: TablePlacement, field: 'Keys'): Input {
  const request = map[logical];
  if (!request) return map;
  const { [logical]: _, ...rest } = map;
  const grouped: Input = { ...rest };
  for (const key of request[field] as Input[]) {
    const table = place(partitionOf(key));
    (grouped[table] ??= { ...request, [field]: [] })[field].push(key);
  }
  return grouped;
}

/** Folds per-table batch answers back under the name the store asked with. */
function fold(map: Input | undefined, tables: readonly string[], logical: string, merge: (a: any, b: any) => any): Input | undefined {
  if (!map) return map;
  const folded: Input = {};
  for (const [table, value] of Object.entries(map)) {
    const name = tables.includes(table) ? logical : table;
    folded[name] = name in folded ? merge(folded[name], value) : value;
  }
  return folded;
}

/** The command's input with every item of the logical table on its own table. */
export function placeInput(command: string, input: Input, logical: string, place: TablePlacement): Input {
  const onItem = (body: Input, key: Input | undefined) => (body.TableName === logical ? { ...body, TableName: place(partitionOf(key)) } : body);
  switch (command) {
    case 'GetItemCommand':
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return onItem(input, input.Key);
    case 'PutItemCommand':
      return onItem(input, input.Item);
    case 'QueryCommand':
      if (input.TableName !== logical) return input;
      // The due index holds outbox items only.
      return { ...input, TableName: place(input.IndexName === DUE_INDEX ? 'OUTBOX#' : queriedPartition(input)) };
    case 'TransactWriteItemsCommand':
    case 'TransactGetItemsCommand':
      return {
        ...input,
        TransactItems: (input.TransactItems as Input[]).map((entry) => Object.fromEntries(Object.entries(entry).map(([op, body]: [string, Input]) =>
          [op, onItem(body, body.Key ?? body.Item)]))),
      };
    case 'BatchGetItemCommand':
      return { ...input, RequestItems: regroup(input.RequestItems, logical, place, 'Keys') };
    default:
      // Scan, BatchWrite and the rest: no store sends them to the patient table; one that did could not be placed.
      if (input.TableName === logical || (input.RequestItems && logical in input.RequestItems)) {
        throw new Error(`table placement: ${command} on ${logical} cannot be placed by key`);
      }
      return input;
  }
}

/**
 * Puts the placement on the client the stores send through (createDynamoDocumentClient; a second
 * call replaces it; with one table, nothing is put). Initialize step, high priority: before the SDK
 * marshals the input and before any observer (the integration suite's recorder) reads the table
 * names. A document client shares its DynamoDBClient's middleware: a command of either on the
 * patient table is placed, and one that cannot be (a Scan, a DescribeTable) is refused, so tools
 * that read a table as stored build a client of their own.
 */
export function placeTables(db: DynamoDBDocumentClient, names: TableNames): void {
  const place = placementOf(names);
  const tables = [...new Set([names.tableName, names.identityTableName, names.tokenTableName, names.outboxTableName])];
  const logical = names.tableName;
  db.middlewareStack.remove('tablePlacement');
  if (isSingleTable(names)) return;
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const output = await next({ ...args, input: placeInput(command, args.input as Input, logical, place) });
      if (command !== 'BatchGetItemCommand') return output;
      const answer = output.output as Input;
      answer.Responses = fold(answer.Responses, tables, logical, (a: unknown[], b: unknown[]) => [...a, ...b]);
      answer.UnprocessedKeys = fold(answer.UnprocessedKeys, tables, logical, (a: Input, b: Input) => ({ ...a, Keys: [...a.Keys, ...b.Keys] }));
      return output;
    },
    { step: 'initialize', priority: 'high', name: 'tablePlacement', override: true },
  );
}
