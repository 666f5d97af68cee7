/**
 * bcryptjs against a native bcrypt (@node-rs/bcrypt; BENCH_NATIVE_BCRYPT may point at another installed
 * copy), hash for hash, for the `bcrypt native` row. The floor the registration and sign-in rows divide
 * by is not measured here: it is the server's own hasher (bench.ts, `stack.hasher`).
 */
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';
import { pool, summarize, timed, type Summary } from './stats.js';

const PASSWORD = 'SecurePassword123!';

export type Hash = (password: string, cost: number) => Promise<string>;

export const bcryptjsHash: Hash = (password, cost) => bcrypt.hash(password, cost);

export async function hashOnce(hash: Hash, cost: number): Promise<number> {
  return (await timed(() => hash(PASSWORD, cost))).ms;
}

/** Each hash `runs` times, taking turns, so that a noisy neighbour slows all of them alike. */
export async function measurePaired(hashes: Hash[], cost: number, runs: number): Promise<Summary[]> {
  for (const hash of hashes) await hash(PASSWORD, cost); // warm-up (JIT, thread pool)
  const samples = hashes.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, hash] of hashes.entries()) samples[j]!.push(await hashOnce(hash, cost));
  }
  return samples.map(summarize);
}

/** Hashes per second with `concurrency` hashes in flight, over `count` hashes. */
export async function hashRate(hash: Hash, cost: number, count: number, concurrency: number): Promise<number> {
  const { ms } = await timed(() => pool(count, concurrency, () => hash(PASSWORD, cost)));
  return count / (ms / 1000);
}

interface NativeBcrypt {
  hash(password: string, costOrOptions: number | { cost: number }): Promise<string>;
}

/** @node-rs/bcrypt's hash when it can be loaded (2.x takes `{ cost }`, 1.x a number), else undefined. */
export async function loadNativeHash(): Promise<{ hash: Hash; version: string } | undefined> {
  const specifier = process.env.BENCH_NATIVE_BCRYPT;
  let native: NativeBcrypt;
  try {
    native = (await import(specifier ? pathToFileURL(`${specifier.replace(/\/$/, '')}/index.js`).href : '@node-rs/bcrypt' as string)) as NativeBcrypt;
  } catch {
    return undefined;
  }
  let version = 'unknown';
  try {
    const { createRequire } = await import('node:module');
    const base = specifier ? pathToFileURL(`${specifier.replace(/\/$/, '')}/`).href : import.meta.url;
    version = (createRequire(base)(specifier ? './package.json' : '@node-rs/bcrypt/package.json') as { version: string }).version;
  } catch { /* version is informational */ }
  const major = Number(version.split('.')[0]);
  const hash: Hash = major >= 2 || Number.isNaN(major)
    ? (password, cost) => native.hash(password, { cost })
    : (password, cost) => native.hash(password, cost);
  return { hash, version };
}
