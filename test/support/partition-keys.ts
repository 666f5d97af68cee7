/**
 * Records the partition keys a DynamoDB store writes (issue 23 item 1): every Put, Update and Delete,
 * alone or inside a transaction, for the base table (`pk`) and for the due index (`due_pk`, from the
 * item written, or, for an update, from the item's last recorded write: an update of an indexed item
 * rewrites its index entry too). `constantPartitions` then names any key that does not depend on
 * the item it is written for.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface PartitionWrite {
  /** `<table>` for the base table, `<table>/index/due` for the due index. */
  target: string;
  partition: string;
  /** The base item written (`pk`/`sk`): what the partition holds an entry of. */
  item: string;
}

type Input = Record<string, any>;

export function recordPartitionWrites(db: DynamoDBDocumentClient): PartitionWrite[] {
  const writes: PartitionWrite[] = [];
  const dueOf = new Map<string, string>();
  const record = (table: string, key: Input, item?: Input, update?: Input) => {
    const id = `${key.pk}|${key.sk}`;
    writes.push({ target: table, partition: String(key.pk), item: id });
    const setsDue = update?.ExpressionAttributeValues && /\bdue_pk\s*=\s*(:\w+)/.exec(String(update.UpdateExpression))?.[1];
    const due = item ? item.due_pk : setsDue ? update!.ExpressionAttributeValues[setsDue] : dueOf.get(id);
    if (item) dueOf.set(id, item.due_pk);
    else if (setsDue) dueOf.set(id, due);
    if (due !== undefined) writes.push({ target: `${table}/index/due`, partition: String(due), item: id });
  };
  const one = (kind: string, input: Input) => {
    if (kind === 'Put') record(input.TableName, { pk: input.Item.pk, sk: input.Item.sk }, input.Item);
    else if (kind === 'Update') record(input.TableName, input.Key, undefined, input);
    else if (kind === 'Delete') record(input.TableName, input.Key);
  };
  const send = db.send.bind(db) as (command: unknown) => Promise<unknown>;
  (db as { send: unknown }).send = (command: { constructor: { name: string }; input: Input }) => {
    const name = command.constructor.name.replace(/Command$/, '');
    if (name === 'PutItem' || name === 'Put') one('Put', command.input);
    else if (name === 'Update' || name === 'UpdateItem') one('Update', command.input);
    else if (name === 'Delete' || name === 'DeleteItem') one('Delete', command.input);
    else if (name === 'TransactWrite') {
      for (const entry of command.input.TransactItems ?? []) for (const kind of ['Put', 'Update', 'Delete']) if (entry[kind]) one(kind, entry[kind]);
    } else if (name === 'BatchWrite') {
      for (const [table, requests] of Object.entries(command.input.RequestItems ?? {}) as [string, Input[]][]) {
        for (const request of requests) {
          if (request.PutRequest) one('Put', { TableName: table, Item: request.PutRequest.Item });
          if (request.DeleteRequest) one('Delete', { TableName: table, Key: request.DeleteRequest.Key });
        }
      }
    }
    return send(command);
  };
  return writes;
}

/** A key's kind: the text before its first `#` (`PATIENT#…` → `PATIENT`), the whole key if it has none. */
export const kindOf = (partition: string) => partition.split('#')[0]!;

/**
 * Partition keys that are constant: of one kind (per table or index), holding entries of at least
 * `minItems` different items, and yet all under one single value (e.g. every outbox item's index
 * entry under `OUTBOX`). A key built from the item (its id, a digest, a patient's id, a hashed shard)
 * takes many values over that many items; with 32 hashed shards, 6 items share one by chance with a
 * probability of 32⁻⁵ (3·10⁻⁸).
 */
export function constantPartitions(writes: readonly PartitionWrite[], minItems = 6): string[] {
  const groups = new Map<string, { partitions: Set<string>; items: Set<string> }>();
  for (const write of writes) {
    const group = `${write.target} ${kindOf(write.partition)}`;
    const entry = groups.get(group) ?? { partitions: new Set(), items: new Set() };
    entry.partitions.add(write.partition);
    entry.items.add(write.item);
    groups.set(group, entry);
  }
  return [...groups].filter(([, g]) => g.items.size >= minItems && g.partitions.size === 1).map(([group, g]) => `${group}: ${[...g.partitions][0]} holds ${g.items.size} items`);
}
