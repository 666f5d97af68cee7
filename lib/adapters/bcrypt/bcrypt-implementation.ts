import { createRequire } from 'node:module';
import bcrypt from 'bcryptjs';
import { describeError, logger } from '../../logging/logger.js';

/**
 * One bcrypt: the native binding (@node-rs/bcrypt, Rust, hashing on libuv's thread pool) where it
 * loads, bcryptjs (pure JavaScript) otherwise. Both write `$2b$` hashes and read each other's.
 */
export interface BcryptImplementation {
  readonly name: 'native' | 'bcryptjs';
  hash(password: string, rounds: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
}

export const bcryptjs: BcryptImplementation = {
  name: 'bcryptjs',
  hash: (password, rounds) => bcrypt.hash(password, rounds),
  compare: (password, hash) => bcrypt.compare(password, hash),
};

/** The part of @node-rs/bcrypt 1.x this module uses. */
interface NativeBinding {
  hash(password: string, cost: number): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  verifySync(password: string, hash: string): boolean;
}

/**
 * How the deployed function finds the binding: `node_modules/@node-rs/bcrypt` beside its bundle, put
 * there for linux-arm64-gnu at synth (infra/native-bcrypt.ts). Not an `import`: esbuild leaves this call
 * alone, so the binding is never bundled, and a missing one is an exception here, not a failed start.
 */
const requireNativeBinding = (): unknown => createRequire(import.meta.url)('@node-rs/bcrypt');

/** bcryptjs made KNOWN_HASH from KNOWN_PASSWORD (cost 4, ~1 ms native): a binding must agree with it. */
const KNOWN_PASSWORD = 'known-answer';
const KNOWN_HASH = '$2b$04$EXkpdzKr.K1QkZIHMLJWnOCeiCbiza/uqlG1HaVkqLuframI1g/Ni';

/**
 * The native binding, checked before use: it must have @node-rs/bcrypt's API, accept the known
 * bcryptjs hash and refuse a wrong password against it. Throws when any of that fails.
 */
export function loadNativeBcrypt(load: () => unknown = requireNativeBinding): BcryptImplementation {
  const binding = load() as Partial<NativeBinding> | undefined;
  if (typeof binding?.hash !== 'function' || typeof binding.verify !== 'function' || typeof binding.verifySync !== 'function') {
    throw new Error('not the @node-rs/bcrypt API');
  }
  const { hash, verify, verifySync } = binding as NativeBinding;
  if (!verifySync(KNOWN_PASSWORD, KNOWN_HASH) || verifySync(`${KNOWN_PASSWORD}?`, KNOWN_HASH)) {
    throw new Error('the native binding disagrees with bcryptjs on a known hash');
  }
  return { name: 'native', hash: (password, rounds) => hash(password, rounds), compare: (password, stored) => verify(password, stored) };
}

/** Native when it loads and passes its check, else bcryptjs; the choice is logged (never a password or hash). */
export function chooseBcrypt(load: () => unknown = requireNativeBinding): BcryptImplementation {
  try {
    const native = loadNativeBcrypt(load);
    logger.info('bcrypt implementation: native (@node-rs/bcrypt)');
    return native;
  } catch (error) {
    logger.warn('bcrypt implementation: bcryptjs (the native binding did not load or failed its check)', describeError(error));
    return bcryptjs;
  }
}

let chosen: BcryptImplementation | undefined;

/** This process's bcrypt, chosen and logged once, at the first hasher's creation (a function's init). */
export function processBcrypt(): BcryptImplementation {
  return (chosen ??= chooseBcrypt());
}
