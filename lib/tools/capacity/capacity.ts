/**
 * `npm run capacity`: prints, per user operation, what it asks of AWS, the rate at which each
 * default quota would stop it, and its cost per million (README.md beside this file). Reads the
 * recording test/integration/capacity-recording.test.ts writes; runs that test first when there is
 * none or with --record. Durations: the bench's last full run (.bench/latest.json) where it has a
 * row for the operation, else the recording's own medians.
 *
 *   npm run capacity [-- --record]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ceilingsOf, coldStartKms, concurrencyFor, costPerMillion, demandsOf, verdictAt, type Ceiling, type Inputs, type OperationDemand } from './model.js';
import { DEPLOYED_PLACEMENT, placedIn } from './placement.js';
import { DEFAULT_QUOTAS, PRICES, TARGET_RATE } from './quotas.js';
import { RECORDING_FILE, RECORDING_TEST, type CapacityRecording } from './recording.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BENCH_RESULTS = path.join(ROOT, '.bench', 'latest.json');
const BENCH_README = path.join(ROOT, 'test', 'bench', 'README.md');

/**
 * Lambda memory per function, as infra/stacks/stateless-stack.ts sizes them: the functions that run
 * bcrypt get REGISTER_MEMORY_MB / PASSWORD_CHECK_MEMORY_MB (1,024 MB), the others ServiceFunction's
 * default (256 MB). Not imported: loading the stack takes aws-cdk-lib with it.
 */
const BCRYPT_MEMORY_MB = 1024;
const DEFAULT_MEMORY_MB = 256;
const BCRYPT_FUNCTIONS = new Set(['Register', 'VerifyEmail', 'Login', 'PasswordReset', 'PasswordChange']);
const memoryMb = (fn: string) => (BCRYPT_FUNCTIONS.has(fn) ? BCRYPT_MEMORY_MB : DEFAULT_MEMORY_MB);

/** Bench rows (test/bench) that time an operation's request end to end, by operation. */
const BENCH_ROWS: Record<string, RegExp> = {
  register: /^registration over HTTP/,
  verify: /^verify-email \(/,
  login: /^login 200 over HTTP/,
  me: /^GET \/me/,
  forgot: /^password-forgot/,
};

interface BenchRow { row: string; median: number }

/**
 * The bench's last full run: .bench/latest.json when this checkout ran one, else the table a full run
 * committed to test/bench/README.md (between its markers; medians in ms).
 */
function benchMedians(): { startedAt: string; rows: BenchRow[] } | undefined {
  if (existsSync(BENCH_RESULTS)) {
    const result = JSON.parse(readFileSync(BENCH_RESULTS, 'utf8')) as { startedAt: string; smoke?: boolean; rows: BenchRow[] };
    if (!result.smoke) return result;
  }
  const readme = readFileSync(BENCH_README, 'utf8');
  const section = readme.slice(readme.indexOf('<!-- bench:latest-run:start -->'), readme.indexOf('<!-- bench:latest-run:end -->'));
  const date = /Latest run \((\d{4}-\d{2}-\d{2})/.exec(section)?.[1];
  if (!date) return undefined;
  const rows = section.split('\n').flatMap((line) => {
    const cells = line.split('|').map((c) => c.trim());
    const median = /^([\d.,]+) (ms|s)$/.exec(cells[2] ?? '');
    return median ? [{ row: cells[1]!, median: Number(median[1]!.replace(/,/g, '')) * (median[2] === 's' ? 1000 : 1) }] : [];
  });
  return { startedAt: date, rows };
}

function loadRecording(force: boolean): CapacityRecording {
  const file = path.join(ROOT, RECORDING_FILE);
  if (force || !existsSync(file)) {
    process.stderr.write(`recording the operations: npx vitest run --project integration ${RECORDING_TEST}\n`);
    const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', RECORDING_TEST], { cwd: ROOT, stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`${RECORDING_TEST} failed`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as CapacityRecording;
}

const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const money = (n: number) => `$${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)}`;

interface Row { demand: OperationDemand; inputs: Inputs; durationSource: string; ceilings: Ceiling[]; cost: Record<string, number> }

function rowsOf(recording: CapacityRecording): Row[] {
  const bench = benchMedians();
  return demandsOf(recording).map((demand) => {
    const benchRow = BENCH_ROWS[demand.name] && bench?.rows.find((r) => BENCH_ROWS[demand.name]!.test(r.row));
    const functions = Object.keys(demand.durationMs);
    const durationMs = benchRow && functions.length === 1 ? { [functions[0]!]: benchRow.median } : demand.durationMs;
    const durationSource = benchRow && functions.length === 1 ? `bench ${bench!.startedAt.slice(0, 10)}` : `recording, median of ${demand.runs}`;
    const inputs: Inputs = { quotas: DEFAULT_QUOTAS, prices: PRICES, durationMs, memoryMb, viaApi: !functions.includes('OutboxMailer') };
    return { demand, inputs, durationSource, ceilings: ceilingsOf(demand, inputs), cost: costPerMillion(demand, inputs) };
  });
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Per goal operation: met, met by asking for quotas (with their values), or stopped by a key design. */
function goalLines(rows: Row[]): string[] {
  const lines: string[] = [];
  for (const name of ['register', 'login', 'refresh']) {
    const row = rows.find((r) => r.demand.name === name);
    if (!row) {
      lines.push(`- ${name}: not in the recording`);
      continue;
    }
    const { toAsk, keyDesign } = verdictAt(TARGET_RATE, row.ceilings);
    // Lambda's figure is the concurrency the durations need, not a count of operations.
    const lambda = `Lambda concurrency ${concurrencyFor(TARGET_RATE, row.inputs.durationMs).toLocaleString('en-US')} (default ${DEFAULT_QUOTAS.lambdaConcurrency.toLocaleString('en-US')})`;
    const asks = [lambda, ...toAsk.filter((q) => !q.quota.startsWith('Lambda concurrency')).map((q) => `${q.quota.replace(/ \(.*\)$/, '')} ${q.ask.toLocaleString('en-US')}/s (default ${q.defaultValue.toLocaleString('en-US')})`)];
    const others = toAsk.filter((q) => !q.quota.startsWith('Lambda concurrency'));
    const stops = row.ceilings.find((c) => !c.quota.startsWith('Lambda concurrency'))!;
    lines.push(keyDesign.length > 0
      ? `- ${name}: NOT met: ${keyDesign.map((c) => `${c.quota} stops it at ${rate(c.perSecond)}/s (a key design to change, no quota raises it)`).join('; ')}; quotas to ask for as well: ${asks.join('; ')}.`
      : others.length > 0
        ? `- ${name}: NOT met at default quotas: ${stops.quota} stops it at ${rate(stops.perSecond)}/s; no ceiling that only a key design raises, so met by asking for, at ${rate(TARGET_RATE)}/s: ${asks.join('; ')}.`
        : `- ${name}: met; quota to ask for at ${rate(TARGET_RATE)}/s: ${asks.join('; ')}.`);
  }
  return lines;
}

/**
 * The operations the goal names (and verify, which starts a session too): the units each table
 * carries as deployed, and the one-table layout they had before (what `npm start` still runs).
 */
function perTable(recording: CapacityRecording, deployed: Row[]): string {
  const goal = ['register', 'verify', 'login', 'refresh'];
  const rows = deployed.filter((r) => goal.includes(r.demand.name));
  const tables = (r: Row) => Object.entries(r.demand.byTable).map(([where, u]) => `${where === 'table' ? 'patient table' : where} ${num(u.read)} / ${num(u.write)}`).join('; ');
  const before = new Map(rowsOf(recording).map((r) => [r.demand.name, r]));
  // Lambda concurrency is the one ceiling the goal leaves to a quota request: the first other one.
  const first = (r: Row | undefined) => {
    const ceiling = r?.ceilings.find((c) => !c.quota.startsWith('Lambda concurrency'));
    return ceiling ? `${rate(ceiling.perSecond)}/s: ${ceiling.quota}` : '-';
  };
  return [
    `Per table as deployed (${Object.entries(DEPLOYED_PLACEMENT).map(([prefix, where]) => `${prefix}# → ${where}`).join(', ')}; the rest on the patient table), and on one table as before:`,
    '',
    table(['operation', 'read / write units per table', 'first ceiling but Lambda concurrency', 'the same on one table (before)'], rows.map((r) => [r.demand.name, tables(r), first(r), first(before.get(r.demand.name))])),
  ].join('\n');
}

function render(recording: CapacityRecording): string {
  const rows = rowsOf(placedIn(recording, DEPLOYED_PLACEMENT));
  const out: string[] = [];
  out.push(`Capacity model: ${recording.recordedAt.slice(0, 16)} recording (${RECORDING_FILE}), default quotas of one region, us-east-1 prices (lib/tools/capacity/README.md).`, '');
  out.push('What one operation asks of AWS (mean of the recorded runs, each by another user):', '');
  out.push(table(
    ['operation', 'KMS calls', 'DynamoDB read units', 'DynamoDB write units (of them index)', 'SES', 'SMS', 'Lambda ms (source)'],
    rows.map(({ demand: d, inputs, durationSource }) => {
      const kms = Object.entries(d.kms).map(([c, n]) => `${num(n)} ${c}`).join(', ') || '0';
      const index = Object.entries(d.byTable).filter(([w]) => w.includes('index/')).reduce((s, [, u]) => s + u.write, 0);
      const ms = Object.entries(inputs.durationMs).map(([fn, v]) => `${fn} ${v.toFixed(0)}`).join(' + ');
      return [d.name, kms, num(d.readUnits), `${num(d.writeUnits)} (${num(index)})`, num(d.ses), num(d.sms), `${ms} (${durationSource})`];
    }),
  ), '');
  out.push('Where each default quota stops the operation alone (per second), lowest first; and its cost:', '');
  out.push(table(
    ['operation', 'first ceiling', 'other ceilings below 10k/s', `Lambda concurrency for ${rate(TARGET_RATE)}/s`, '$ per million (Lambda + API + DynamoDB + KMS + mail/SMS)'],
    rows.map(({ demand: d, inputs, ceilings, cost }) => {
      const [first, ...rest] = ceilings;
      const total = Object.values(cost).reduce((a, b) => a + b, 0);
      const parts = ['lambda', 'apiGateway', 'dynamoDb', 'kms'].map((k) => money(cost[k]!)).join(' + ');
      return [
        d.name,
        first ? `${rate(first.perSecond)}/s: ${first.quota}${first.note ? ` (${first.note})` : ''}` : '-',
        rest.filter((c) => c.perSecond < TARGET_RATE).map((c) => `${rate(c.perSecond)}/s ${c.quota}${c.note ? ` (${c.note})` : ''}`).join('; ') || '-',
        String(concurrencyFor(TARGET_RATE, inputs.durationMs)),
        `${money(total)} (${parts} + ${money(cost.ses! + cost.sms!)})`,
      ];
    }),
  ), '');
  const cold = rows.flatMap(({ demand }) => {
    const run = recording.coldStarts?.[demand.name];
    const extra = run ? coldStartKms(run, demand) : {};
    return Object.keys(extra).length > 0 ? [`${demand.name}: ${Object.entries(extra).map(([c, n]) => `${num(n)} ${c}`).join(', ')}`] : [];
  });
  if (cold.length > 0) {
    out.push(`KMS calls a cold start adds (a function instance's first invocation, from the warm-up user), per new instance: ${cold.join('; ')}. At a scale-out of N instances a second, they count against the same KMS quotas.`, '');
  }
  out.push(`Goal (issue 23): register, login and refresh have no ceiling below ${rate(TARGET_RATE)}/s that no quota raises; the default quotas to raise for it (like Lambda concurrency), with the value to ask for:`);
  out.push(...goalLines(rows));
  const mails = rows.filter((r) => r.demand.ses > 0 || r.demand.sms > 0).map((r) => `${r.demand.name} ${rate(r.ceilings[0]!.perSecond)}/s (${r.ceilings[0]!.quota})`);
  if (mails.length > 0) out.push(`- the mails and texts the outbox sends for them: ${mails.join('; ')}: a sending quota to raise with the target rate.`);
  out.push('', perTable(recording, rows));
  return out.join('\n');
}

const args = process.argv.slice(2);
process.stdout.write(`${render(loadRecording(args.includes('--record')))}\n`);
