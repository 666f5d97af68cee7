import type { ErrorObject, FuncKeywordDefinition, SchemaValidateFunction } from 'ajv';
import type { Clock } from '../ports.js';

/**
 * What a validation is judged against besides the request: ajv passes it to every keyword as `this`
 * (`passContext`), from `validate.call(context, data)`. Today's date comes from the caller's clock, so
 * the age rule never reads the wall clock and a test can fix the day.
 */
export interface ValidationContext {
  /** Today in UTC, YYYY-MM-DD. */
  today: string;
}

export function validationContext(clock: Clock): ValidationContext {
  return { today: clock.now().toISOString().slice(0, 10) };
}

/** Custom keywords for the rules JSON Schema cannot state; all apply to strings only. Each error carries its own message. */
type KeywordCheck = (schema: any, data: any, parentData: any, context: ValidationContext | undefined) => string[];

/** A keyword as ajv takes it, with the one name and the validate function the generated validators call. */
export interface ValidationKeyword extends FuncKeywordDefinition {
  keyword: string;
  validate: SchemaValidateFunction;
}

/**
 * Each keyword module (./*.ts beside this one) exports its keywords under their own names, and imports
 * only the data its rules need: a generated validator imports the modules of the keywords its schemas
 * use, so a function that never judges a password never loads the common-password list.
 */
export function keyword(name: string, check: KeywordCheck): ValidationKeyword {
  const validate: SchemaValidateFunction = function (this: ValidationContext | undefined, schema, data, _parentSchema, dataCxt) {
    const messages = check(schema, data, dataCxt?.parentData, this);
    validate.errors = messages.map((message): Partial<ErrorObject> => ({ keyword: name, message, params: {} }));
    return messages.length === 0;
  };
  return { keyword: name, type: 'string', validate, errors: true };
}
