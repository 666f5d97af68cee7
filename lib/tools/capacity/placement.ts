/**
 * Where the recorded calls land as deployed (issue 23). The integration run that records them keeps
 * the one table of `npm start`; the stages place the item families on four tables
 * (lib/adapters/dynamodb/placement.ts), and the per-table quota counts each table apart. So the
 * model re-places every recorded item by its prefix, with the placement the stores run, and prints
 * the one-table figures beside them as the "before". Keys are matched by their prefix (the recorder
 * keeps it).
 */
import { TABLE_OF_PREFIX } from '../../adapters/dynamodb/placement.js';
import type { CapacityRecording, DynamoDbCall, OperationRun, RecordedCall } from './recording.js';

/** The table the recorder names the patient table by (the audit table keeps its own). */
const PATIENT_TABLE = 'table';

/** The deployed placement, in the model's table labels (prefixes not named stay on the patient table). */
export const DEPLOYED_PLACEMENT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TABLE_OF_PREFIX).map(([prefix, role]) => [prefix, `${role} table`]),
);

const prefixOf = (partitionKey: string) => partitionKey.split('#')[0]!;

/** The recorded calls with each patient-table call split by where its items would live. */
export function placedIn(recording: CapacityRecording, placement: Readonly<Record<string, string>>): CapacityRecording {
  const tableOf = (partitionKey: string) => {
    const prefix = prefixOf(partitionKey);
    return Object.hasOwn(placement, prefix) ? placement[prefix]! : PATIENT_TABLE;
  };
  const split = (call: DynamoDbCall): DynamoDbCall[] => {
    if (call.table !== PATIENT_TABLE) return [call];
    const byTable = new Map<string, DynamoDbCall>();
    const part = (table: string) => {
      let entry = byTable.get(table);
      if (!entry) byTable.set(table, (entry = { ...call, table, writes: [], reads: [] }));
      return entry;
    };
    for (const item of call.writes) part(tableOf(item.partitionKey)).writes.push({ ...item, table: tableOf(item.partitionKey) });
    for (const read of call.reads) {
      // An index read stays with the items the index holds (the due index: the outbox's).
      const key = read.index ? 'OUTBOX#' : read.partitionKey ?? read.items[0]?.partitionKey;
      part(key ? tableOf(key) : PATIENT_TABLE).reads.push(read);
    }
    return byTable.size > 0 ? [...byTable.values()] : [call];
  };
  const placeRun = (run: OperationRun): OperationRun => ({
    ...run,
    calls: run.calls.flatMap((call): RecordedCall[] => (call.service === 'dynamodb' ? split(call) : [call])),
  });
  return {
    ...recording,
    operations: Object.fromEntries(Object.entries(recording.operations).map(([name, op]) => [name, { ...op, runs: op.runs.map(placeRun) }])),
    ...(recording.coldStarts && { coldStarts: Object.fromEntries(Object.entries(recording.coldStarts).map(([name, run]) => [name, placeRun(run)])) }),
  };
}
