import type { ErrorObject } from 'ajv';
import { ValidationError } from '../errors.js';
import { toFieldErrors } from './field-errors.js';

/**
 * A validate function as ajv compiles it (at build time for ./generated/, or at start in ./ajv.ts).
 * Compiled with passContext, it hands `this` on to the custom keywords.
 */
export interface PrecompiledValidate {
  (this: object | undefined, data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface ValidatorOptions {
  /** What the body goes through first (trimming). */
  prepare?: (body: unknown) => unknown;
  /** Top-level fields the server owns: refused as "Cannot be set by the client" rather than "Unknown field". */
  serverOwnedFields?: ReadonlySet<string>;
}

/**
 * Wraps a compiled validate function (call at module scope) into one that returns the typed value or
 * throws a ValidationError listing every failing field. `context` reaches the keywords as `this`.
 */
export function createValidator<T>(validate: PrecompiledValidate, options: ValidatorOptions = {}): (body: unknown, context?: object) => T {
  const { prepare = (b: unknown) => b, serverOwnedFields } = options;
  return (body: unknown, context?: object): T => {
    const data = prepare(body);
    if (validate.call(context, data)) return data as T;
    throw new ValidationError(toFieldErrors(validate.errors ?? [], data, serverOwnedFields));
  };
}
