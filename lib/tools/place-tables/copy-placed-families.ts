/**
 * Moving a stage deployed on one table to the four tables (issue 23; infra/README.md, "Moving an
 * existing stage to the split"): copies every item whose family placement.ts puts on another table
 * from the patient table to that table, during the write pause. Each copy is a Put only if the item
 * is not there yet, so a run can be repeated after a failure and never overwrites what a new function
 * already wrote. Outbox items are left out: the outbox drains before the move (a copied, already sent
 * mail would reach the new table's stream and be sent again). The originals stay (harmless: nothing
 * reads them on the patient table any more); removing them is a later clean-up.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { placementOf, roleOfKey, type TableNames } from '../../adapters/dynamodb/placement.js';

export interface CopyReport {
  /** Items copied, by table. */
  copied: Record<string, number>;
  /** Items already on their table (an earlier run, or a new function's write). */
  present: number;
  /** Outbox items still waiting to be sent on the patient table: the move must wait for them. */
  unsentOutbox: number;
}

export async function copyPlacedFamilies(db: DynamoDBDocumentClient, names: TableNames, { dryRun = false } = {}): Promise<CopyReport> {
  const place = placementOf(names);
  const report: CopyReport = { copied: {}, present: 0, unsentOutbox: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    // The patient table as stored: this client must not be the stores' (whose placement would move the Scan).
    const page = await db.send(new ScanCommand({ TableName: names.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const role = roleOfKey(String(item.pk));
      if (!role) continue;
      if (role === 'outbox') {
        if (item.due_pk !== undefined) report.unsentOutbox++;
        continue;
      }
      const table = place(String(item.pk));
      if (dryRun) {
        report.copied[table] = (report.copied[table] ?? 0) + 1;
        continue;
      }
      try {
        await db.send(new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
        report.copied[table] = (report.copied[table] ?? 0) + 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        report.present++;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return report;
}
