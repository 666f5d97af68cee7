/**
 * Builds each `functions/<name>/handler.ts` the way CDK's NodejsFunction does, with the local esbuild,
 * and measures how long a fresh Node process takes to import the bundle (the cold-start work that is ours).
 *
 * The esbuild options replicate `bundling` in infra/constructs/service-function.ts (they are not exported
 * there) as aws-cdk-lib 2.276's Bundling#buildEsbuildArgs turns them into CLI flags:
 *   --bundle <entry> --target=node24 --platform=node --format=esm --outfile=index.mjs --minify --sourcemap
 *   --sources-content=false --log-level=warning --keep-names --banner:js=<createRequire> --main-fields=module,main
 * and no --external (bundleAwsSDK: true). Keep the two in step when the construct changes.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { stageNativeBcrypt, type NativePlatform } from '../../infra/native-bcrypt.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');

/** Runtime nodejs24.x (FUNCTION_RUNTIME in the construct) → esbuild target node24. */
const CDK_TARGET = 'node24';
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export function cdkEsbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    target: CDK_TARGET,
    platform: 'node',
    format: 'esm',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    keepNames: true,
    banner: { js: ESM_REQUIRE_BANNER },
    mainFields: ['module', 'main'],
    absWorkingDir: REPO_ROOT,
  };
}

export interface BuiltBundle {
  name: string;
  file: string;
  bytes: number;
  mapBytes: number;
  /** The largest inputs by bytes they contribute to the output, for "where does the size go". */
  largestInputs: { input: string; bytes: number }[];
}

export async function functionNames(): Promise<string[]> {
  const entries = await readdir(FUNCTIONS_DIR, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

export async function buildBundles(outDir: string, only?: string[]): Promise<BuiltBundle[]> {
  const names = only ?? await functionNames();
  return Promise.all(names.map(async (name) => {
    const file = path.join(outDir, name, 'index.mjs');
    const result = await build({ ...cdkEsbuildOptions(path.join(FUNCTIONS_DIR, name, 'handler.ts'), file), metafile: true });
    const output = (result.metafile as Metafile).outputs[path.relative(REPO_ROOT, file)];
    const largestInputs = Object.entries(output?.inputs ?? {})
      .map(([input, { bytesInOutput }]) => ({ input, bytes: bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8);
    return { name, file, bytes: (await stat(file)).size, mapBytes: (await stat(`${file}.map`)).size, largestInputs };
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
    AUDIT_TABLE_NAME: 'patient-audit-bench',
    KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000',
    IDENTIFIER_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/11111111-0000-4000-8000-000000000000',
    ACCESS_TOKEN_SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/22222222-0000-4000-8000-000000000000',
    TOKEN_ISSUER: 'https://api.example.com/prod/',
    TOKEN_AUDIENCE: 'patient-api-prod',
    MAIL_FROM: 'no-reply@patients.example.com',
    SMS_ORIGINATION_IDENTITY: 'arn:aws:sms-voice:us-east-1:123456789012:pool/pool-bench',
    VERIFY_URL_BASE: 'https://api.example.com/prod/api/v1/patient/verify-email',
    RESET_URL_BASE: 'https://api.example.com/prod/api/v1/patient/password/reset',
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
