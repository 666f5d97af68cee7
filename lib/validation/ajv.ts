import { Ajv, type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import { ValidationError } from '../errors.js';
import { toFieldErrors } from './field-errors.js';
import { addValidationKeywords } from '../patient/validation-keywords.js';

/** One ajv for the process: strict, every error at once, no coercion, no $data. */
const ajv = addValidationKeywords(
  new Ajv({ allErrors: true, coerceTypes: false, $data: false, useDefaults: false, strict: true }),
);
addFormats.default(ajv, ['email', 'date']);

/**
 * Compiles a schema once (call at module scope) into a function that returns the typed value or
 * throws a ValidationError listing every failing field.
 */
export function createValidator<T>(schema: AnySchema, prepare: (body: unknown) => unknown = (b) => b): (body: unknown) => T {
  const validate = ajv.compile<T>(schema);
  return (body: unknown): T => {
    const data = prepare(body);
    if (validate(data)) return data as T;
    throw new ValidationError(toFieldErrors(validate.errors ?? [], data));
  };
}
