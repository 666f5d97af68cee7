/**
 * What the precompiled validators in ./generated/ import at run time: the custom keyword functions,
 * the two formats from ajv-formats, and ajv's unicode-aware string length. Nothing here compiles a schema.
 */
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';
import { VALIDATION_KEYWORDS } from '../patient/validation-keywords.js';

export { fullFormats as formats } from 'ajv-formats/dist/formats.js';

// Node and esbuild hand an ESM importer the CommonJS module object; vitest hands it the default export.
const ucs2lengthExport = ucs2lengthModule as typeof ucs2lengthModule | typeof ucs2lengthModule.default;

/** ajv's own character count (a surrogate pair is one character), for minLength / maxLength. */
export const ucs2length: (str: string) => number =
  typeof ucs2lengthExport === 'function' ? ucs2lengthExport : ucs2lengthExport.default;

/** keyword name → its validate function, as the generated validators reference them. */
export const keywords = Object.fromEntries(VALIDATION_KEYWORDS.map((definition) => [definition.keyword, definition.validate]));
