import type { Ajv, FuncKeywordDefinition, SchemaValidateFunction } from 'ajv';
import { addValidationKeywords } from '../patient/validation-keywords.js';

/**
 * The custom keyword definitions exactly as lib/patient/validation-keywords.ts registers them, taken
 * without an ajv instance: the precompiled validators call these `validate` functions at run time, and
 * the generator compiles against the very same definitions. A registration that is not a plain
 * `addKeyword` of a `validate` keyword fails here loudly instead of producing a validator that skips it.
 */
export function customKeywordDefinitions(): FuncKeywordDefinition[] {
  const definitions: FuncKeywordDefinition[] = [];
  const recorder = {
    addKeyword(definition: FuncKeywordDefinition) {
      if (typeof definition.keyword !== 'string' || typeof definition.validate !== 'function') {
        throw new Error('custom keywords must be single-name keywords with a validate function');
      }
      definitions.push(definition);
      return recorder;
    },
  };
  addValidationKeywords(recorder as unknown as Ajv);
  return definitions;
}

/** keyword name → its validate function, as the precompiled validators reference them. */
export function customKeywordValidators(): Record<string, SchemaValidateFunction> {
  return Object.fromEntries(
    customKeywordDefinitions().map((definition) => [definition.keyword as string, definition.validate as SchemaValidateFunction]),
  );
}
