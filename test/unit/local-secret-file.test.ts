import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOrCreateSecretFile } from '../../lib/adapters/local/local-secret-file.js';

const dirs: string[] = [];
const fileIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-file-'));
  dirs.push(dir);
  return join(dir, '.local', 'key');
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('readOrCreateSecretFile: a local key file', () => {
  it('is created once, readable by its owner only, and read back unchanged later', () => {
    const file = fileIn();
    expect(readOrCreateSecretFile(file, () => 'first')).toBe('first');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readOrCreateSecretFile(file, () => expect.fail('an existing key is never replaced'))).toBe('first');
  });

  it('keeps the key another process wrote first: both then use that one', () => {
    const file = fileIn();
    // The other process wins the race between our existence check and our write.
    const ours = readOrCreateSecretFile(file, () => {
      writeFileSync(file, 'theirs');
      return 'ours';
    });
    expect(ours).toBe('theirs');
    expect(readFileSync(file, 'utf8')).toBe('theirs');
  });
});
