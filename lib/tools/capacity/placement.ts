/**
 * A what-if for the per-table quota (issue 23): the same recorded calls, as if the patient table's
 * item families lived in tables of their own. Nothing is deployed this way; the model prints what
 * each table would carry so that "split the table or ask for a higher per-table maximum" is decided
 * on measured units, not on a guess. Keys are matched by their prefix (the recorder keeps it).
 */
import type { CapacityRecording, DynamoDbCall, OperationRun, RecordedCall } from './recording.js';

/** The table the recorder names the patient table by (the audit table keeps its own). */
const PATIENT_TABLE = 'table';

/**
 * The smallest split found that keeps register, login and refresh under 4 write and 4 read units on
 * every table (40,000/s over 10,000/s): a registration's transaction is 12 units of five items and a
 * sign-in's 12, so no fewer than four tables carry them. Prefixes not named stay on the patient table.
 */
export const SPLIT_PLACEMENT: Readonly<Record<string, string>> = {
  EMAIL: 'identities table',
  PHONE: 'identities table',
  LOGIN: 'identities table',
  PHONECLAIM: 'identities table',
  // A sign-in's transaction checks the patient item (4 units: the password it compared): its index of
  // sessions goes with the attempt counters, so no table carries more than 4 units of a sign-in.
  SESSIONS: 'identities table',
  VERIFY: 'tokens table',
  FAMILY: 'tokens table',
  REFRESH: 'tokens table',
  OUTBOX: 'outbox table',
};

const prefixOf = (partitionKey: string) => partitionKey.split('#')[0]!;

/** The recorded calls with each patient-table call split by where its items would live. */
export function placedIn(recording: CapacityRecording, placement: Readonly<Record<string, string>>): CapacityRecording {
  const tableOf = (partitionKey: string) => placement[prefixOf(partitionKey)] ?? PATIENT_TABLE;
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
