/**
 * What every precompiled validator in ./generated/ may import at run time besides its keywords:
 * ajv's unicode-aware string length. Formats are in ./standalone-formats.ts, apart, because they pull
 * in ajv-formats and only a schema with a format that is not a plain pattern (date) needs them.
 * Nothing here compiles a schema.
 */
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';

// Node and esbuild hand an ESM importer the CommonJS module object; vitest hands it the default export.
const ucs2lengthExport = ucs2lengthModule as typeof ucs2lengthModule | typeof ucs2lengthModule.default;

/** ajv's own character count (a surrogate pair is one character), for minLength / maxLength. */
export const ucs2length: (str: string) => number =
  typeof ucs2lengthExport === 'function' ? ucs2lengthExport : ucs2lengthExport.default;
