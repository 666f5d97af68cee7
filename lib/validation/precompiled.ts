import type { ErrorObject } from 'ajv';
import { ValidationError } from '../errors.js';
import { toFieldErrors } from './field-errors.js';

/** A validate function as ajv compiles it (at build time for ./generated/, or at start in ./ajv.ts). */
export interface PrecompiledValidate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * Wraps a compiled validate function (call at module scope) into one that returns the typed value or
 * throws a ValidationError listing every failing field.
 */
export function createValidator<T>(validate: PrecompiledValidate, prepare: (body: unknown) => unknown = (b) => b): (body: unknown) => T {
  return (body: unknown): T => {
    const data = prepare(body);
    if (validate(data)) return data as T;
    throw new ValidationError(toFieldErrors(validate.errors ?? [], data));
  };
}
