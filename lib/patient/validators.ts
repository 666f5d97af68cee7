import { createValidator, type PrecompiledValidate } from '../validation/precompiled.js';
import { validationContext } from './keywords/keyword.js';
import { SERVER_OWNED_FIELDS } from './registration-schema.js';
import { trimStrings } from './normalize.js';
import type { Clock } from './ports.js';

/**
 * How a request body is validated: strings trimmed (never passwords: trimStrings leaves them alone),
 * then judged by a validator ajv compiled at build time from registration-schema.ts (`npm run generate`),
 * so a cold start compiles nothing and the bundles carry no ajv compiler.
 *
 * Each function imports its validators from its own generated module, lib/patient/generated/<function>.js,
 * which calls these at module scope (shared by every invocation) and imports only the keywords and
 * formats its schemas use: a sign-in never loads the common-password list or phone metadata.
 */
export type RequestValidator<T> = (body: unknown) => T;
/** For a schema with a rule on today's date (the age rule): judged on the caller's clock, never the wall clock. */
export type ClockedRequestValidator<T> = (body: unknown, clock: Clock) => T;

const OPTIONS = { prepare: (body: unknown) => trimStrings(body), serverOwnedFields: SERVER_OWNED_FIELDS };

export function requestValidator<T>(validate: PrecompiledValidate): RequestValidator<T> {
  const validator = createValidator<T>(validate, OPTIONS);
  return (body) => validator(body);
}

export function clockedRequestValidator<T>(validate: PrecompiledValidate): ClockedRequestValidator<T> {
  const validator = createValidator<T>(validate, OPTIONS);
  return (body, clock) => validator(body, validationContext(clock));
}
