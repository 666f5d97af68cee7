/**
 * What the precompiled validators in ./generated/ import at run time: the custom keyword functions,
 * the two formats from ajv-formats, and ajv's unicode-aware string length. Nothing here compiles a schema.
 */
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';
import { customKeywordValidators } from './custom-keywords.js';

export { fullFormats as formats } from 'ajv-formats/dist/formats.js';

// Node and esbuild hand an ESM importer the CommonJS module object; vitest hands it the default export.
const ucs2lengthExport = ucs2lengthModule as typeof ucs2lengthModule | typeof ucs2lengthModule.default;

/** ajv's own character count (a surrogate pair is one character), for minLength / maxLength. */
export const ucs2length: (str: string) => number =
  typeof ucs2lengthExport === 'function' ? ucs2lengthExport : ucs2lengthExport.default;

export const keywords = customKeywordValidators();
