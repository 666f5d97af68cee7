import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceFunction } from '../../infra/constructs/service-function.js';
import { LAMBDA_ARM64, lockedNativeBcrypt, npmPack, stageNativeBcrypt } from '../../infra/native-bcrypt.js';
import { REPO_ROOT } from '../../infra/paths.js';

const LOCK = path.join(REPO_ROOT, 'package-lock.json');
const ARM64_PACKAGE = '@node-rs/bcrypt-linux-arm64-gnu';
const FIXTURE_FUNCTIONS = fileURLToPath(new URL('./fixtures/functions', import.meta.url));
/** ELF header: bytes 0-3 are \x7fELF, bytes 18-19 the machine (little-endian); 183 is AArch64, 62 x86-64. */
const elfMachine = (file: string) => {
  const header = readFileSync(file).subarray(0, 20);
  return header.subarray(0, 4).toString('latin1') === '\x7fELF' ? header.readUInt16LE(18) : undefined;
};
const EM_AARCH64 = 183;

const temps: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const nodeFile = (staged: string) => {
  const dir = path.join(staged, 'node_modules', ARM64_PACKAGE);
  return path.join(dir, readdirSync(dir).find((f) => f.endsWith('.node'))!);
};

describe('the native bcrypt binding for Lambda (linux-arm64-gnu), staged from package-lock.json', () => {
  it('the lock records the binding and its arm64 package with sha512 integrity', () => {
    const [binding, arm64] = lockedNativeBcrypt(LOCK, LAMBDA_ARM64);
    expect(binding).toMatchObject({ name: '@node-rs/bcrypt', version: '1.10.8' });
    expect(arm64).toMatchObject({ name: ARM64_PACKAGE, version: binding!.version });
    expect(arm64!.integrity).toMatch(/^sha512-/);
  });

  it('stages the arm64 .node file on this x64 machine, then reuses it without calling npm again', () => {
    const cacheRoot = tempDir('native-bcrypt-cache-');
    let packs = 0;
    const pack = (specs: string[], dir: string) => {
      packs++;
      return npmPack(specs, dir);
    };
    const staged = stageNativeBcrypt(LAMBDA_ARM64, { cacheRoot, pack });
    expect(elfMachine(nodeFile(staged))).toBe(EM_AARCH64);
    expect(JSON.parse(readFileSync(path.join(staged, 'node_modules', '@node-rs/bcrypt', 'package.json'), 'utf8')).version).toBe('1.10.8');
    expect(existsSync(path.join(staged, 'node_modules', '@node-rs/bcrypt', 'index.js'))).toBe(true);
    expect(packs).toBe(1);

    expect(stageNativeBcrypt(LAMBDA_ARM64, { cacheRoot, pack })).toBe(staged);
    expect(packs).toBe(1);
    // Only the staged directory is left: no temporary one.
    expect(readdirSync(cacheRoot)).toEqual([path.basename(staged)]);
  });

  it('refuses a tarball whose sha512 is not the lock\'s integrity, and stages nothing', () => {
    const dir = tempDir('native-bcrypt-lock-');
    const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
    const entry = lock.packages[`node_modules/${ARM64_PACKAGE}`];
    entry.integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    const lockFile = path.join(dir, 'package-lock.json');
    writeFileSync(lockFile, JSON.stringify(lock));
    const cacheRoot = path.join(dir, 'cache');
    expect(() => stageNativeBcrypt(LAMBDA_ARM64, { lockFile, cacheRoot })).toThrow(/integrity .* is not the lock's/);
    expect(readdirSync(cacheRoot)).toEqual([]);
  });

  it('says what is missing when the lock has no entry for the platform package', () => {
    const dir = tempDir('native-bcrypt-lock-');
    const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
    delete lock.packages[`node_modules/${ARM64_PACKAGE}`];
    const lockFile = path.join(dir, 'package-lock.json');
    writeFileSync(lockFile, JSON.stringify(lock));
    expect(() => stageNativeBcrypt(LAMBDA_ARM64, { lockFile, cacheRoot: path.join(dir, 'cache') })).toThrow(/no version and sha512 integrity for @node-rs\/bcrypt-linux-arm64-gnu/);
  });
});

describe('ServiceFunction ships the binding beside the bundle of every function given a bcrypt cost', () => {
  /** One bundled synth of two functions from a fixture entry; returns each one's asset directory and hash. */
  function synth() {
    const outdir = tempDir('cdk-native-bcrypt-');
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'NativeBcrypt');
    const common = {
      name: 'echo',
      functionsDir: FIXTURE_FUNCTIONS,
      description: 'fixture',
      reservedConcurrency: 1,
      logs: { encryptionKey: new Key(stack, 'LogKey'), retention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY },
      logLevel: 'INFO',
      timeout: Duration.seconds(3),
    };
    new ServiceFunction(stack, 'Hashes', { ...common, environment: { BCRYPT_ROUNDS: '12' } });
    new ServiceFunction(stack, 'Plain', common);
    const assembly = app.synth();
    const template = assembly.getStackByName('NativeBcrypt').template as { Resources: Record<string, { Type: string; Properties: any; Metadata?: any }> };
    const asset = (id: string) => {
      const [, fn] = Object.entries(template.Resources).find(([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(id))!;
      return { dir: path.join(outdir, fn.Metadata['aws:asset:path']), key: String(fn.Properties.Code.S3Key) };
    };
    return { hashes: asset('Hashes'), plain: asset('Plain') };
  }

  let first: ReturnType<typeof synth>;
  beforeAll(() => {
    first = synth();
  });

  it('the hashing function\'s asset holds its bundle and node_modules/@node-rs with the arm64 .node file', () => {
    expect(existsSync(path.join(first.hashes.dir, 'index.mjs'))).toBe(true);
    expect(readdirSync(path.join(first.hashes.dir, 'node_modules', '@node-rs')).sort()).toEqual(['bcrypt', 'bcrypt-linux-arm64-gnu']);
    expect(elfMachine(nodeFile(first.hashes.dir))).toBe(EM_AARCH64);
  });

  it('a function without a bcrypt cost gets no node_modules', () => {
    expect(existsSync(path.join(first.plain.dir, 'index.mjs'))).toBe(true);
    expect(existsSync(path.join(first.plain.dir, 'node_modules'))).toBe(false);
  });

  it('synth is deterministic: a second synth gives the same asset hashes', () => {
    const second = synth();
    expect(second.hashes.key).toBe(first.hashes.key);
    expect(second.plain.key).toBe(first.plain.key);
    expect(first.hashes.key).not.toBe(first.plain.key);
  });
});
