/**
 * Regenerates lib/patient/common-passwords.ts from @zxcvbn-ts/language-common (the maintained list
 * zxcvbn-ts ships). Only the top entries that a password passing our composition rules can collide
 * with are kept, so the Lambda bundle carries ~60 KB of words instead of the package's ~1 MB of
 * dictionaries, and those packed (lib/compact-data.ts): ~25 KB in the bundle.
 * Run: npx tsx lib/tools/generate-common-passwords.ts  (a unit test fails when the file is stale)
 * Read it: npx tsx lib/tools/generate-common-passwords.ts --print
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dictionary } from '@zxcvbn-ts/language-common';
import { isReachableEntry } from '../patient/password-words.js';
import { packedModule, packWords, unpackWords } from '../compact-data.js';

export const TOP_ENTRIES = 10_000;

export function buildCommonPasswordList(): string[] {
  return dictionary['passwords-common'].slice(0, TOP_ENTRIES).filter(isReachableEntry);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--print')) {
    // Imported here, not above: the generator must run when the generated file is missing or broken.
    const { COMMON_PASSWORDS } = await import('../patient/common-passwords.js');
    console.log(unpackWords(COMMON_PASSWORDS).join('\n'));
  } else {
    const target = fileURLToPath(new URL('../patient/common-passwords.ts', import.meta.url));
    const list = buildCommonPasswordList();
    writeFileSync(target, packedModule(
      'lib/tools/generate-common-passwords.ts from @zxcvbn-ts/language-common', 'npx tsx lib/tools/generate-common-passwords.ts',
      `The ${new Set(list).size} common passwords a password must not be (case and end digits aside: password-words.ts).`, 'COMMON_PASSWORDS', packWords(list),
    ));
    console.log(`wrote ${target}`);
  }
}
