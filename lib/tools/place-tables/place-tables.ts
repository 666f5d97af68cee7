/**
 * `npm run place-tables -- [--dry-run]`: copies a one-table stage's moved item families to the
 * tables its functions now read (copy-placed-families.ts). Reads TABLE_NAME, IDENTITY_TABLE_NAME,
 * TOKEN_TABLE_NAME, OUTBOX_TABLE_NAME and the AWS credentials and region of the shell it runs in
 * (the stack's outputs name the tables). Refuses while outbox items wait on the patient table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isSingleTable, type TableNames } from '../../adapters/dynamodb/placement.js';
import { copyPlacedFamilies } from './copy-placed-families.js';

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
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT }) }));
try {
  const report = await copyPlacedFamilies(db, names, { dryRun });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.unsentOutbox > 0) {
    process.stderr.write(`${report.unsentOutbox} outbox item(s) still to send on ${names.tableName}: let the outbox drain before the functions move.\n`);
    process.exitCode = 1;
  }
} finally {
  db.destroy();
}
