/**
 * Regenerates lib/patient/common-passwords.json from @zxcvbn-ts/language-common (the maintained list
 * zxcvbn-ts ships). Only the top entries that a password passing our composition rules can collide
 * with are kept, so the Lambda bundle carries ~60 KB instead of the package's ~1 MB of dictionaries.
 * Run: npx tsx lib/tools/generate-common-passwords.ts  (a unit test fails when the file is stale)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dictionary } from '@zxcvbn-ts/language-common';
import { isReachableEntry } from '../patient/password-words.js';

export const TOP_ENTRIES = 10_000;

export function buildCommonPasswordList(): string[] {
  return dictionary['passwords-common'].slice(0, TOP_ENTRIES).filter(isReachableEntry);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../patient/common-passwords.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(buildCommonPasswordList())}\n`);
  console.log(`wrote ${target}`);
}
