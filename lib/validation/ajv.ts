import { Ajv, type AnySchema, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { customKeywordDefinitions } from './custom-keywords.js';
import { createValidator as fromCompiled } from './precompiled.js';

/** Strict, every error at once, no coercion, no $data. The generator compiles with exactly these. */
export const AJV_OPTIONS = { allErrors: true, coerceTypes: false, $data: false, useDefaults: false, strict: true } as const;
export const FORMATS = ['email', 'date'] as const;

/**
 * An ajv with our options, custom keywords and formats. `extra` is for the build-time generator
 * (standalone code options); validators at run time come precompiled from ./generated/.
 */
export function createAjv(extra: Options = {}): Ajv {
  const ajv = new Ajv({ ...AJV_OPTIONS, ...extra });
  for (const definition of customKeywordDefinitions()) ajv.addKeyword(definition);
  addFormats.default(ajv, [...FORMATS]);
  return ajv;
}

let shared: Ajv | undefined;

/**
 * Compiles a schema at start into a validator (returns the typed value or throws a ValidationError).
 * Costs cold-start time and bundles ajv's compiler: request schemas belong in
 * lib/tools/generate-validators.ts and are used through ./precompiled.js instead.
 */
export function createValidator<T>(schema: AnySchema, prepare: (body: unknown) => unknown = (b) => b): (body: unknown) => T {
  shared ??= createAjv();
  return fromCompiled<T>(shared.compile<T>(schema), prepare);
}
