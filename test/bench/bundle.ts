/**
 * Builds each `functions/<name>/handler.ts` the way CDK's NodejsFunction does, with the local esbuild,
 * and measures how long a fresh Node process takes to import the bundle (the cold-start work that is ours).
 *
 * The esbuild options come from infra/constructs/function-bundling.ts, the settings the construct
 * deploys (test/infra/function-bundles.test.ts proves CDK builds the same bytes).
 * Run alone: npx tsx test/bench/bundle.ts [--runs=N] [--packages] [name ...]
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { esbuildOptionsFor } from '../../infra/constructs/function-bundling.js';
import { stageNativeBcrypt, type NativePlatform } from '../../infra/native-bcrypt.js';
import { summarize } from './stats.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');

export interface BuiltBundle {
  name: string;
  file: string;
  bytes: number;
  mapBytes: number;
  /** The largest inputs by bytes they contribute to the output, for "where does the size go". */
  largestInputs: { input: string; bytes: number }[];
  /** Every input (path from the repository root) with the bytes it contributes to index.mjs. */
  inputs: Record<string, number>;
}

/** The npm package an input belongs to ("@smithy/core", "libphonenumber-js"), or "(ours)" for the repository's own files. */
export function packageOf(input: string): string {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? match[1]! : '(ours)';
}

/** Bytes in the bundle per package, largest first. */
export function bytesByPackage(inputs: Record<string, number>): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const [input, bytes] of Object.entries(inputs)) totals.set(packageOf(input), (totals.get(packageOf(input)) ?? 0) + bytes);
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

export async function functionNames(): Promise<string[]> {
  const entries = await readdir(FUNCTIONS_DIR, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

export async function buildBundles(outDir: string, names?: readonly string[]): Promise<BuiltBundle[]> {
  return Promise.all((names ?? await functionNames()).map(async (name) => {
    const file = path.join(outDir, name, 'index.mjs');
    const result = await build({ ...esbuildOptionsFor(path.join(FUNCTIONS_DIR, name, 'handler.ts'), file), metafile: true });
    const output = (result.metafile as Metafile).outputs[path.relative(REPO_ROOT, file)];
    const inputs = Object.fromEntries(Object.entries(output?.inputs ?? {}).map(([input, { bytesInOutput }]) => [input, bytesInOutput]));
    const largestInputs = Object.entries(inputs)
      .map(([input, bytes]) => ({ input, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8);
    return { name, file, bytes: (await stat(file)).size, mapBytes: (await stat(`${file}.map`)).size, largestInputs, inputs };
  }));
}

/** This machine's build of the native bcrypt binding (linux-x64-gnu here): Lambda gets linux-arm64-gnu. */
export function hostNativePlatform(): NativePlatform {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) throw new Error(`no native bcrypt build staged for ${process.platform}-${process.arch}`);
  return { os: 'linux', cpu: process.arch, libc: 'glibc' };
}

/**
 * A copy of a built bundle in `<outDir>/<name>/` with `node_modules/@node-rs/…` beside it, staged from
 * the lock exactly as synth stages the deployed function's (infra/native-bcrypt.ts) but for this
 * machine's platform: the bundle loads the binding from where the deployed one does (/var/task/node_modules).
 */
export async function withNativeBcrypt(bundle: BuiltBundle, outDir: string): Promise<BuiltBundle> {
  const dir = path.join(outDir, bundle.name);
  await cp(path.dirname(bundle.file), dir, { recursive: true });
  await cp(path.join(stageNativeBcrypt(hostNativePlatform()), 'node_modules'), path.join(dir, 'node_modules'), { recursive: true });
  return { ...bundle, file: path.join(dir, path.basename(bundle.file)) };
}

/** What Lambda sets (plus what the functions require in Lambda); fake credentials, so nothing can reach AWS. */
export function lambdaEnvironment(name: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_LAMBDA_FUNCTION_NAME: `patient-registration-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'bench',
    TABLE_NAME: 'patients-bench',
    IDENTITY_TABLE_NAME: 'patients-bench-identities',
    TOKEN_TABLE_NAME: 'patients-bench-tokens',
    OUTBOX_TABLE_NAME: 'patients-bench-outbox',
    AUDIT_TABLE_NAME: 'patient-audit-bench',
    KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000',
    IDENTIFIER_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/11111111-0000-4000-8000-000000000000',
    // The published public key (any P-256 key: nothing is verified at import) and, for the signing
    // functions, the wrapped private key and its KMS key: unwrapped at the first token, not at import.
    ACCESS_TOKEN_PUBLIC_KEYS: '{"keys":[{"kty":"EC","crv":"P-256","x":"DVfriGFA5_d2wEjJsFAEbxMVPkJvXrq4mxG3f-uZ02M","y":"YvlYhvYEVvVDJsRl_YEB1rYHE4cYzTdF8kAlsvC7qws","kid":"bench-key-v1"}]}',
    ACCESS_TOKEN_SIGNING_KEY: Buffer.from('bench: not a real ciphertext').toString('base64'),
    ACCESS_TOKEN_WRAPPING_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/22222222-0000-4000-8000-000000000000',
    TOKEN_ISSUER: 'https://api.example.com/prod/',
    TOKEN_AUDIENCE: 'patient-api-prod',
    MAIL_FROM: 'no-reply@patients.example.com',
    SMS_ORIGINATION_IDENTITY: 'arn:aws:sms-voice:us-east-1:123456789012:pool/pool-bench',
    SMS_DAILY_BUDGET: '2000',
    SMS_COUNTRY_DAILY_BUDGET: '50',
    VERIFY_URL_BASE: 'https://api.example.com/prod/api/v1/patient/verify-email',
    RESET_URL_BASE: 'https://api.example.com/prod/api/v1/patient/password/reset',
    EMAIL_MOVE_URL_BASE: 'https://api.example.com/prod/api/v1/patient/me/email/confirm',
    RP_ID: 'patients.example.com',
    WEBAUTHN_ORIGIN: 'https://patients.example.com',
    REQUIRE_MFA: 'false',
    POWERTOOLS_SERVICE_NAME: 'patient-registration',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

const run = promisify(execFile);

/** Time from before `import()` to the module's evaluation finishing, in a fresh process (ms). */
const IMPORT_PROBE = `
const { performance } = await import('node:perf_hooks');
const { pathToFileURL } = await import('node:url');
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const mod = await import(pathToFileURL(process.argv[1]).href);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
if (typeof mod.handler !== 'function') throw new Error('no handler export');
const { createRequire } = await import('node:module');
const nativeAddon = Object.keys(createRequire(process.argv[1]).cache).some((file) => file.endsWith('.node'));
process.stdout.write(JSON.stringify({ ms, cpuMs, nativeAddon }));
`;

export async function importTimes(bundle: BuiltBundle, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await importOnce(bundle)).ms);
  return times;
}

/**
 * One import in a fresh process: how long (wall), how much CPU it took (all threads; steadier than wall
 * time on a shared machine), and whether a native addon (a .node file) was loaded by it.
 */
export async function importOnce(bundle: BuiltBundle): Promise<{ ms: number; cpuMs: number; nativeAddon: boolean }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, bundle.file], {
    env: lambdaEnvironment(bundle.name),
    timeout: 30_000,
  });
  return JSON.parse(stdout) as { ms: number; cpuMs: number; nativeAddon: boolean };
}

export async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-bundles-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Sizes and import times without the rest of the bench; --packages adds each bundle's bytes per package. */
async function main(args: readonly string[]): Promise<void> {
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 7);
  const names = args.filter((a) => !a.startsWith('--'));
  await withTempDir(async (dir) => {
    for (const bundle of await buildBundles(dir, names.length > 0 ? names : undefined)) {
      const imports = summarize(await importTimes(bundle, runs));
      process.stdout.write(`${bundle.name.padEnd(20)} ${kib(bundle.bytes).padStart(10)}  import median ${imports.median.toFixed(1)} ms, p95 ${imports.p95.toFixed(1)} ms (${runs} runs)\n`);
      if (args.includes('--packages')) {
        for (const { name, bytes } of bytesByPackage(bundle.inputs)) process.stdout.write(`    ${kib(bytes).padStart(10)}  ${name}\n`);
      }
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
