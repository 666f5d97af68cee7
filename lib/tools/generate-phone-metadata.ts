/**
 * Regenerates lib/patient/phone-metadata.ts: libphonenumber-js's "min" metadata (the numbering plans
 * normalizePhone judges numbers by), packed by lib/compact-data.ts. The same object the package's
 * `libphonenumber-js/min` entry passes, ~22 KB in the bundle instead of an 80 KB object literal.
 * Run after upgrading libphonenumber-js: npx tsx lib/tools/generate-phone-metadata.ts  (a unit test
 * fails when the file is stale)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The package's ESM entry for it is a module exporting the object (metadata.min.json.js).
import metadata from 'libphonenumber-js/metadata.min.json';
import { packedModule, packJson } from '../compact-data.js';

export const PACKAGE_METADATA = metadata;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../patient/phone-metadata.ts', import.meta.url));
  writeFileSync(target, packedModule(
    'lib/tools/generate-phone-metadata.ts from libphonenumber-js/metadata.min.json', 'npx tsx lib/tools/generate-phone-metadata.ts',
    'The min metadata of libphonenumber-js (MetadataJson), as its libphonenumber-js/min entry passes it.', 'PHONE_METADATA', packJson(metadata),
  ));
  console.log(`wrote ${target}`);
}
