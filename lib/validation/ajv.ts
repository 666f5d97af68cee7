import { Ajv, type KeywordDefinition, type Options } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Strict, every error at once, no coercion, no $data. The generator compiles with exactly these.
 * passContext: keywords get the caller's context as `this` (today's date for the age rule) instead of
 * the ajv instance, which standalone code does not have.
 */
export const AJV_OPTIONS = { allErrors: true, coerceTypes: false, $data: false, useDefaults: false, strict: true, passContext: true } as const;
export const FORMATS = ['email', 'date'] as const;

/**
 * An ajv with our options, the given custom keywords (lib/patient/validation-keywords.ts: the
 * domain's rules, passed in so this layer imports nothing above it) and formats, for the build-time
 * generator (`extra`: standalone code options) and the test that compares it with the generated
 * files; validators at run time come precompiled (lib/patient/generated/) and never compile a schema.
 */
export function createAjv(keywords: readonly KeywordDefinition[], extra: Options = {}): Ajv {
  const ajv = new Ajv({ ...AJV_OPTIONS, ...extra });
  for (const definition of keywords) ajv.addKeyword(definition);
  addFormats.default(ajv, [...FORMATS]);
  return ajv;
}
