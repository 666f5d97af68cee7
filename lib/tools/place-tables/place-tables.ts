/**
 * `npm run place-tables -- [--dry-run] [--segments N]`: moves a one-table stage's placed item families
 * to the tables its functions now read (move-placed-families.ts), in the write pause after both
 * stacks deployed. Reads TABLE_NAME, IDENTITY_TABLE_NAME, TOKEN_TABLE_NAME, OUTBOX_TABLE_NAME (the
 * stateful stack's outputs) and the AWS credentials and region of the shell it runs in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isSingleTable, type TableNames } from '../../adapters/dynamodb/placement.js';
import { movePlacedFamilies } from './move-placed-families.js';

const env = process.env;
const required = (name: string) => {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set (the stack's outputs name the tables)`);
  return value;
};
const names: TableNames = {
  tableName: required('TABLE_NAME'),
  identityTableName: required('IDENTITY_TABLE_NAME'),
  tokenTableName: required('TOKEN_TABLE_NAME'),
  outboxTableName: required('OUTBOX_TABLE_NAME'),
};
if (isSingleTable(names)) throw new Error('every table name is the same: nothing to move');
const dryRun = process.argv.includes('--dry-run');
const segmentsArg = process.argv.find((a) => a.startsWith('--segments='))?.slice('--segments='.length);
const segments = segmentsArg === undefined ? 4 : Number(segmentsArg);
if (!(Number.isInteger(segments) && segments >= 1 && segments <= 64)) throw new Error('--segments=N: 1 to 64');
// A client of its own, without the stores' placement: it reads the patient table as stored.
const db = new DynamoDBClient({ ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT }) });
try {
  const report = await movePlacedFamilies(db, names, { dryRun, segments });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.differing + report.changedDuringMove > 0) {
    process.stderr.write('Some items differ between the patient table and their table: both versions were kept. Was the write pause on? Compare them before lifting it.\n');
    process.exitCode = 1;
  }
} finally {
  db.destroy();
}
