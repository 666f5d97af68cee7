import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { bcryptCost, bcryptDummyHash, createBcryptPasswordHasher } from '../../lib/adapters/bcrypt/bcrypt-password-hasher.js';
import { buildCommonPasswordList } from '../../lib/tools/generate-common-passwords.js';
import { COMMON_PASSWORDS } from '../../lib/patient/common-passwords.js';
import { packWords, unpackWords } from '../../lib/compact-data.js';

// Several cost-12 hashes per test (bcryptjs on the main thread): a shared 2-core machine under load
// needs more than vitest's default 5 s.
describe('bcrypt password hasher', { timeout: 60_000 }, () => {
  const hasher = createBcryptPasswordHasher(12);

  it('hashes at cost 12 with a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hasher.hash('SecurePassword123!'), hasher.hash('SecurePassword123!')]);
    expect(a).toMatch(/^\$2[aby]\$12\$/);
    expect(bcrypt.getRounds(a)).toBe(12);
    expect(a).not.toBe(b);
    expect(a.slice(0, 29)).not.toBe(b.slice(0, 29)); // the salts differ
    expect(await bcrypt.compare('SecurePassword123!', a)).toBe(true);
    expect(await bcrypt.compare('SecurePassword123?', a)).toBe(false);
  });

  it('compares, and asks for a re-hash only of hashes below its cost', async () => {
    const hash = await hasher.hash('SecurePassword123!');
    expect(await hasher.compare('SecurePassword123!', hash)).toBe(true);
    expect(await hasher.compare('SecurePassword123?', hash)).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
    expect(hasher.needsRehash(await bcrypt.hash('SecurePassword123!', 10))).toBe(true);
    expect(createBcryptPasswordHasher(13).needsRehash(hash)).toBe(true);
    expect(hasher.needsRehash('not a bcrypt hash')).toBe(true);
  });

  it.each([12, 13, 15])('the dummy hash for unknown emails has cost %i, parses as bcrypt, and matches nothing', async (cost) => {
    const dummy = bcryptDummyHash(cost);
    expect(bcrypt.getRounds(dummy)).toBe(cost);
    expect(bcryptCost(dummy)).toBe(cost);
    expect(dummy).toHaveLength(60);
    expect(bcrypt.getSalt(dummy)).toHaveLength(29);
    if (cost === 12) {
      for (const guess of ['', 'SecurePassword123!', 'NoPasswordMatchesThis']) expect(await bcrypt.compare(guess, dummy)).toBe(false);
    }
  });

  it('refuses a cost below 12', () => {
    expect(() => createBcryptPasswordHasher(11)).toThrow();
  });

  it('is why passwords over 72 bytes are refused: bcrypt ignores the rest', async () => {
    const base = 'A1!'.padEnd(72, 'x');
    const hash = await bcrypt.hash(`${base}first-ending`, 4); // cost 4: this only demonstrates bcrypt's limit
    expect(await bcrypt.compare(`${base}other-ending`, hash)).toBe(true);
  });
});

describe('common-password list', () => {
  it('matches what the generator builds from @zxcvbn-ts/language-common', () => {
    const built = buildCommonPasswordList();
    expect(unpackWords(COMMON_PASSWORDS)).toEqual([...new Set(built)].sort());
    expect(new Set(unpackWords(COMMON_PASSWORDS))).toEqual(new Set(built));
  });

  it('decodes to exactly the words encoded, whatever they are', () => {
    const words = ['zeta', 'Alpha', 'p@ssw0rd!', 'ünïcödé', '😀x', 'alpha', 'zeta'];
    expect(new Set(unpackWords(packWords(words)))).toEqual(new Set(words));
    expect(unpackWords(packWords(words))).toHaveLength(new Set(words).size);
    expect(() => packWords(['two\nlines'])).toThrow();
    expect(() => packWords([''])).toThrow();
  });
});
