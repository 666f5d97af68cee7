import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The contents of a local key file (.local/…), created with `create()` on first use, readable by
 * the owner only. The create is exclusive: of two processes starting at once (npm start beside a
 * test run), one writes the key and both read that one, so data sealed by either stays readable.
 */
export function readOrCreateSecretFile(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, create(), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8');
}
