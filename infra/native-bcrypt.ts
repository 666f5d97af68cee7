import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { REPO_ROOT } from './paths.js';

/**
 * The native bcrypt binding for a platform other than this machine's (Lambda's linux-arm64-gnu), made
 * from package-lock.json with nothing but npm:
 *
 * 1. the lock names `@node-rs/bcrypt` and its `@node-rs/bcrypt-<platform>` package, version and sha512
 *    integrity (npm records every platform's optional package, installed here or not);
 * 2. `npm pack <name>@<version> --prefer-offline` fetches each tarball through npm's cache (offline once
 *    cached; no Docker, no cross-install);
 * 3. each tarball's sha512 must equal the lock's integrity, or staging throws;
 * 4. the tarballs are unpacked into `node_modules/`, in a cache directory named by a digest of the
 *    platform and the two integrities, so repeated synths reuse it and a lock change makes a new one.
 *
 * Not `bundling.nodeModules`: CDK would run `npm ci` in every function's bundle on every synth, with
 * `--loglevel warning`, which npm 11 rejects aloud; and an `npm ci --cpu=arm64` whose optional package
 * fails its integrity check succeeds without it (npm skips failed optional packages).
 */
export const NATIVE_BCRYPT = '@node-rs/bcrypt';

export interface NativePlatform {
  readonly os: 'linux';
  readonly cpu: 'arm64' | 'x64';
  readonly libc: 'glibc';
}

/** `Architecture.ARM_64` on the Node runtimes: Amazon Linux 2023, glibc. */
export const LAMBDA_ARM64: NativePlatform = { os: 'linux', cpu: 'arm64', libc: 'glibc' };

/** napi-rs's package-name suffix for a platform: linux-arm64-gnu. */
export const platformSuffix = (platform: NativePlatform) => `${platform.os}-${platform.cpu}-${platform.libc === 'glibc' ? 'gnu' : 'musl'}`;

export interface StageOptions {
  readonly lockFile?: string;
  /** Where staged directories are kept; default node_modules/.cache/native-bcrypt (gone with `npm ci`, npm's cache remains). */
  readonly cacheRoot?: string;
  /** Fetches `name@version` tarballs into `dir`, returning their file names in the same order; default `npm pack`. */
  readonly pack?: (specs: string[], dir: string) => string[];
}

interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
}

/** The lock's entries for the binding and its platform package; throws when either is missing. */
export function lockedNativeBcrypt(lockFile: string, platform: NativePlatform): LockedPackage[] {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages?: Record<string, { version?: string; integrity?: string }> };
  return [NATIVE_BCRYPT, `${NATIVE_BCRYPT}-${platformSuffix(platform)}`].map((name) => {
    const entry = lock.packages?.[`node_modules/${name}`];
    if (!entry?.version || !entry.integrity?.startsWith('sha512-')) {
      throw new Error(`${path.basename(lockFile)} has no version and sha512 integrity for ${name}: run npm install after adding ${NATIVE_BCRYPT}`);
    }
    return { name, version: entry.version, integrity: entry.integrity };
  });
}

export function npmPack(specs: string[], dir: string): string[] {
  const out = execFileSync('npm', ['pack', ...specs, '--pack-destination', dir, '--prefer-offline', '--ignore-scripts', '--json', '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const packed = JSON.parse(out) as { name: string; filename: string }[];
  return specs.map((spec) => packed.find((p) => spec.startsWith(`${p.name}@`))?.filename ?? '');
}

const sha512 = (file: string) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/**
 * A directory whose `node_modules/` holds the binding and the platform's `.node` file, ready to copy
 * beside a bundle. Synchronous (CDK builds assets while constructing); safe to call from parallel
 * processes: each stages into its own temporary directory and the first rename wins.
 */
export function stageNativeBcrypt(platform: NativePlatform, options: StageOptions = {}): string {
  const lockFile = options.lockFile ?? path.join(REPO_ROOT, 'package-lock.json');
  const cacheRoot = options.cacheRoot ?? path.join(REPO_ROOT, 'node_modules', '.cache', 'native-bcrypt');
  const packages = lockedNativeBcrypt(lockFile, platform);
  const key = createHash('sha256').update(JSON.stringify({ platform, packages })).digest('hex').slice(0, 16);
  const staged = path.join(cacheRoot, `${platformSuffix(platform)}-${key}`);
  if (isStaged(staged, packages)) return staged;

  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(path.join(cacheRoot, '.staging-'));
  try {
    const tarballs = (options.pack ?? npmPack)(packages.map((p) => `${p.name}@${p.version}`), work);
    packages.forEach((p, i) => {
      const tarball = path.join(work, tarballs[i] ?? '');
      const actual = existsSync(tarball) ? sha512(tarball) : 'no tarball';
      if (actual !== p.integrity) throw new Error(`${p.name}@${p.version}: tarball integrity ${actual} is not the lock's ${p.integrity}`);
      const target = path.join(work, 'out', 'node_modules', p.name);
      mkdirSync(target, { recursive: true });
      // npm tarballs hold one top folder, `package/`.
      execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const unpacked = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (unpacked.name !== p.name || unpacked.version !== p.version) throw new Error(`${p.name}@${p.version}: the tarball holds ${unpacked.name}@${unpacked.version}`);
    });
    try {
      renameSync(path.join(work, 'out'), staged);
    } catch (error) {
      if (!isStaged(staged, packages)) throw error; // another process staged the same first: use theirs
    }
    return staged;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function isStaged(dir: string, packages: LockedPackage[]): boolean {
  return packages.every((p) => {
    const file = path.join(dir, 'node_modules', p.name, 'package.json');
    return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version === p.version;
  }) && readdirSync(path.join(dir, 'node_modules', packages[1]!.name)).some((f) => f.endsWith('.node'));
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * NodejsFunction hooks that copy the staged binding beside the bundle: `/var/task/node_modules`,
 * where the bundle's `createRequire(import.meta.url)` finds it. They run only when CDK bundles
 * (not for stacks excluded with `aws:cdk:bundling-stacks`), so only then is anything fetched.
 */
export function nativeBcryptHooks(platform: NativePlatform = LAMBDA_ARM64, options: StageOptions = {}): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      `cp -R ${shellQuote(path.join(stageNativeBcrypt(platform, options), 'node_modules'))} ${shellQuote(`${outputDir}/`)}`,
    ],
  };
}
