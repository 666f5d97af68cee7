/**
 * Moving a stage deployed on one table to the four tables (issue 23; infra/README.md, "Moving an
 * existing stage to the split"), in the write pause after both stacks deployed: every item whose
 * family placement.ts puts on another table moves there, then leaves the patient table.
 *
 * - Each move is a Put only if the item is not on its table yet, then a Delete of the original only
 *   while it is as read. A run cut short is run again: what moved is gone from the patient table,
 *   what is half-moved finds its copy, equal, and only deletes.
 * - Which of two differing versions is the newer, the tool cannot know (in the write pause neither
 *   should change): an original changed after its copy, or a copy that differs from its original,
 *   keeps both, is counted, and makes the command exit 1 for an operator to look.
 * - Outbox items still to send (`due_pk`) move too: the outbox table's stream sends them, at least
 *   once as always. Sent ones are left to their TTL.
 * - Originals are deleted, not kept: an address moved or an account closed after the move would
 *   otherwise leave its old mapping on the patient table for good.
 * - The Scan asks DynamoDB for the moved families only (patient items never leave the table), in
 *   parallel segments.
 */
import { ConditionalCheckFailedException, DynamoDBClient, ScanCommand, PutItemCommand, DeleteItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { placementOf, roleOfKey, TABLE_OF_PREFIX, type TableNames } from '../../adapters/dynamodb/placement.js';

export interface MoveReport {
  /** Items moved, by table. */
  moved: Record<string, number>;
  /** Items found already on their table as they were (a run cut short, then run again). */
  alreadyThere: number;
  /** Items whose copy on their table differs from the original: both kept, for an operator. */
  differing: number;
  /** Originals changed between their copy and their delete: kept (the next run finds them differing). */
  changedDuringMove: number;
  /** Sent outbox items, left on the patient table to their TTL. */
  sentOutboxLeft: number;
}

type Item = Record<string, AttributeValue>;

export interface MoveOptions {
  dryRun?: boolean;
  /** Parallel Scan segments (DynamoDB splits the table among them). */
  segments?: number;
}

/** Works on the low-level client: items are copied as stored (numbers and sets exactly), and no placement applies. */
export async function movePlacedFamilies(db: DynamoDBClient, names: TableNames, { dryRun = false, segments = 4 }: MoveOptions = {}): Promise<MoveReport> {
  const place = placementOf(names);
  const report: MoveReport = { moved: {}, alreadyThere: 0, differing: 0, changedDuringMove: 0, sentOutboxLeft: 0 };
  const prefixes = Object.keys(TABLE_OF_PREFIX).map((prefix) => `${prefix}#`);
  const filter = {
    FilterExpression: prefixes.map((_, i) => `begins_with(pk, :p${i})`).join(' OR '),
    ExpressionAttributeValues: Object.fromEntries(prefixes.map((prefix, i) => [`:p${i}`, { S: prefix }])),
  };

  const moveOne = async (item: Item) => {
    const pk = item.pk!.S!;
    if (!roleOfKey(pk)) return; // the filter's prefixes are the placed ones: only a look-alike gets here
    if (roleOfKey(pk) === 'outbox' && !item.due_pk) {
      report.sentOutboxLeft++;
      return;
    }
    const table = place(pk);
    if (dryRun) {
      report.moved[table] = (report.moved[table] ?? 0) + 1;
      return;
    }
    try {
      await db.send(new PutItemCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      report.moved[table] = (report.moved[table] ?? 0) + 1;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!isDeepStrictEqual(error.Item, item)) {
        report.differing++;
        return;
      }
      report.alreadyThere++;
    }
    try {
      await db.send(new DeleteItemCommand({ TableName: names.tableName, Key: { pk: item.pk!, sk: item.sk! }, ...unchanged(item) }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      report.changedDuringMove++;
    }
  };

  const scanSegment = async (segment: number) => {
    let start: Item | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: names.tableName, ConsistentRead: true, Segment: segment, TotalSegments: segments, ExclusiveStartKey: start, ...filter }));
      await Promise.all((page.Items ?? []).map(moveOne));
      start = page.LastEvaluatedKey;
    } while (start);
  };
  await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(segment)));
  return report;
}

/** A condition that the item is still exactly as read (every attribute equal). */
function unchanged(item: Item) {
  const entries = Object.entries(item);
  return {
    ConditionExpression: entries.map((_, i) => `#a${i} = :v${i}`).join(' AND '),
    ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#a${i}`, name])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
  };
}
