/**
 * `npm run load`: the load run of issue 23 item 4 (test/load/README.md).
 *
 *   npm run load                                   60 s, 50 virtual users, against its own `npm start`
 *   npm run load -- --duration 15 --vus 8          shorter, fewer
 *   npm run load -- --fault                        restarts DynamoDB Local (persistent DATA_DIR) half-way
 *   npm run load -- --url http://127.0.0.1:3000    against a running `npm start` (SES emulator on 8005,
 *                                                  DynamoDB Local on 8000, table "patients"; or --ses, --dynamodb, --table a,b,… for placed tables)
 * Exits 1 when the audit fails.
 */
import { parseArgs } from 'node:util';
import { MAX_DURATION_SECONDS, MAX_VIRTUAL_USERS, renderReport, runLoad, type Target } from './runner.js';
import { startLoadStack, type LoadStack } from './stack.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    vus: { type: 'string', default: '50' },
    fault: { type: 'boolean', default: false },
    url: { type: 'string' },
    ses: { type: 'string', default: 'http://127.0.0.1:8005' },
    dynamodb: { type: 'string', default: 'http://127.0.0.1:8000' },
    table: { type: 'string', default: 'patients' },
  },
});
const durationSeconds = Number(values.duration);
const virtualUsers = Number(values.vus);
if (!(durationSeconds > 0 && durationSeconds <= MAX_DURATION_SECONDS)) throw new Error(`--duration: 1 to ${MAX_DURATION_SECONDS} seconds`);
if (!(Number.isInteger(virtualUsers) && virtualUsers > 0 && virtualUsers <= MAX_VIRTUAL_USERS)) throw new Error(`--vus: 1 to ${MAX_VIRTUAL_USERS}`);
if (values.fault && values.url) throw new Error('--fault restarts the DynamoDB Local it started itself: leave out --url');

const log = (line: string) => process.stderr.write(`${line}\n`);
let stack: LoadStack | undefined;
let target: Target;
if (values.url) {
  target = { api: values.url.replace(/\/$/, ''), ses: values.ses!, dynamodb: values.dynamodb!, tableNames: values.table!.split(',') };
} else {
  log(`starting npm start on free ports${values.fault ? ' (DynamoDB Local with a persistent DATA_DIR)' : ''}…`);
  stack = await startLoadStack({ persistent: values.fault! });
  target = stack.target;
}
let exitCode = 1;
try {
  log(`load: ${durationSeconds} s, ${virtualUsers} virtual users against ${target.api}${values.fault ? '; DynamoDB Local restarts half-way' : ''}`);
  const report = await runLoad(target, {
    durationSeconds,
    virtualUsers,
    log,
    ...(values.fault && {
      storeOutage: true,
      midway: async () => {
        log('  restarting DynamoDB Local…');
        const ms = await stack!.restartDynamoDb();
        log(`  DynamoDB Local back after ${(ms / 1000).toFixed(1)} s`);
      },
    }),
  });
  const heading = `Load run: ${durationSeconds} s, ${virtualUsers} virtual users, ${values.fault ? 'DynamoDB Local restarted half-way, ' : ''}against ${values.url ? target.api : 'npm start (DynamoDB Local)'}`;
  process.stdout.write(`${renderReport(report, heading)}\n`);
  exitCode = report.audit.failures.length === 0 ? 0 : 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
