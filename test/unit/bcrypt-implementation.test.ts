import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bcryptjs, chooseBcrypt, loadNativeBcrypt, type BcryptImplementation } from '../../lib/adapters/bcrypt/bcrypt-implementation.js';
import { bcryptDummyHash, createBcryptPasswordHasher } from '../../lib/adapters/bcrypt/bcrypt-password-hasher.js';
import { logger } from '../../lib/logging/logger.js';

const PASSWORD = 'SecurePassword123!';
const cannotLoad = () => {
  throw new Error("Cannot find module '@node-rs/bcrypt'");
};

// Several cost-12 hashes per test: a shared 2-core machine under load needs more than the default 5 s.
describe('bcrypt implementation: native @node-rs/bcrypt with bcryptjs as the fallback', { timeout: 30_000 }, () => {
  afterEach(() => vi.restoreAllMocks());

  // This machine's own binary (linux-x64-gnu here; Lambda gets linux-arm64-gnu). Without it every
  // "both ways" test below would compare bcryptjs with itself.
  const native = loadNativeBcrypt();

  it('loads the native binding on this machine and it passes its known-answer check', () => {
    expect(native.name).toBe('native');
  });

  it('falls back to bcryptjs when the binding does not load, and logs the choice without the error message', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    expect(chooseBcrypt(cannotLoad)).toBe(bcryptjs);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe('bcrypt implementation: bcryptjs (the native binding did not load or failed its check)');
    expect(JSON.stringify(warn.mock.calls[0]![1])).not.toContain('Cannot find module');
  });

  it('falls back when what loads is not the binding, or disagrees with bcryptjs (e.g. accepts any password)', () => {
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    expect(chooseBcrypt(() => ({})).name).toBe('bcryptjs');
    expect(chooseBcrypt(() => undefined).name).toBe('bcryptjs');
    const acceptsAnything = { hash: async () => '', verify: async () => true, verifySync: () => true };
    expect(() => loadNativeBcrypt(() => acceptsAnything)).toThrow(/disagrees/);
    expect(chooseBcrypt(() => acceptsAnything).name).toBe('bcryptjs');
    const refusesEverything = { ...acceptsAnything, verify: async () => false, verifySync: () => false };
    expect(chooseBcrypt(() => refusesEverything).name).toBe('bcryptjs');
  });

  it('chooses native where it loads, and logs that', () => {
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    expect(chooseBcrypt().name).toBe('native');
    expect(info).toHaveBeenCalledWith('bcrypt implementation: native (@node-rs/bcrypt)');
  });

  it('the process chooses once: one log line however many hashers are created', async () => {
    vi.resetModules();
    const fresh = await import('../../lib/logging/logger.js');
    const info = vi.spyOn(fresh.logger, 'info').mockImplementation(() => undefined);
    const { createBcryptPasswordHasher: create } = await import('../../lib/adapters/bcrypt/bcrypt-password-hasher.js');
    create(12);
    create(13);
    create(12);
    expect(info.mock.calls.filter(([message]) => String(message).startsWith('bcrypt implementation'))).toHaveLength(1);
  });

  it('the hasher refuses a cost below 12 with either implementation', () => {
    expect(() => createBcryptPasswordHasher(11, native)).toThrow();
    expect(() => createBcryptPasswordHasher(11, bcryptjs)).toThrow();
  });

  const both: [string, BcryptImplementation, BcryptImplementation][] = [
    ['native-made, bcryptjs checks', native, bcryptjs],
    ['bcryptjs-made, native checks', bcryptjs, native],
  ];
  it.each(both)('same hashes accepted both ways: %s ($2b$, cost 12)', async (_, maker, checker) => {
    const made = await createBcryptPasswordHasher(12, maker).hash(PASSWORD);
    expect(made).toMatch(/^\$2b\$12\$/);
    expect(bcrypt.getRounds(made)).toBeGreaterThanOrEqual(12);
    const check = createBcryptPasswordHasher(12, checker);
    expect(await check.compare(PASSWORD, made)).toBe(true);
    expect(await check.compare(`${PASSWORD}?`, made)).toBe(false);
    expect(check.needsRehash(made)).toBe(false);
  });

  it('the fallback hasher (binding failed to load) writes hashes the native binding accepts', async () => {
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const made = await createBcryptPasswordHasher(12, chooseBcrypt(cannotLoad)).hash(PASSWORD);
    expect(await native.compare(PASSWORD, made)).toBe(true);
  });

  it.each([native, bcryptjs].map((b) => [b.name, b] as const))('the dummy hash for unknown emails matches nothing with %s', async (_, implementation) => {
    const hasher = createBcryptPasswordHasher(12, implementation);
    for (const guess of ['', PASSWORD, 'NoPasswordMatchesThis']) expect(await hasher.compare(guess, bcryptDummyHash(12))).toBe(false);
  });

  it('the dummy hash is canonical bcrypt base64, so the native binding does the full work on it (not an early "false")', () => {
    // The salt is 16 bytes in 22 characters and the digest 23 bytes in 31: the last character of each
    // carries spare bits, which must be zero. Re-encoding the decoded bytes gives back exactly the text.
    const dummy = bcryptDummyHash(12);
    const salt = dummy.slice(7, 29);
    const digest = dummy.slice(29);
    expect(bcrypt.encodeBase64(bcrypt.decodeBase64(salt, 16), 16)).toBe(salt);
    expect(bcrypt.encodeBase64(bcrypt.decodeBase64(digest, 23), 23)).toBe(digest);
  });
});
