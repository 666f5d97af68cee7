import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { VALIDATION_KEYWORDS } from '../patient/validation-keywords.js';

/**
 * Strict, every error at once, no coercion, no $data. The generator compiles with exactly these.
 * passContext: keywords get the caller's context as `this` (today's date for the age rule) instead of
 * the ajv instance, which standalone code does not have.
 */
export const AJV_OPTIONS = { allErrors: true, coerceTypes: false, $data: false, useDefaults: false, strict: true, passContext: true } as const;
export const FORMATS = ['email', 'date'] as const;

/**
 * An ajv with our options, custom keywords and formats, for the build-time generator (`extra`:
 * standalone code options) and the test that compares it with the generated file; validators at
 * run time come precompiled from ./generated/ and never compile a schema.
 */
export function createAjv(extra: Options = {}): Ajv {
  const ajv = new Ajv({ ...AJV_OPTIONS, ...extra });
  for (const definition of VALIDATION_KEYWORDS) ajv.addKeyword(definition);
  addFormats.default(ajv, [...FORMATS]);
  return ajv;
}
