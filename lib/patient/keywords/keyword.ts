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

/**
 * Custom keywords for the rules JSON Schema cannot state; all apply to strings only. Each error carries
 * its own message. A normalizing keyword judges the normalized value; `asSent` is the value before.
 */
type KeywordCheck = (schema: any, data: any, parentData: any, context: ValidationContext | undefined, asSent: any) => string[];

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
export function keyword(name: string, check: KeywordCheck, options: { normalize?: (value: string) => string } = {}): ValidationKeyword {
  const { normalize } = options;
  const validate: SchemaValidateFunction = function (this: ValidationContext | undefined, schema, data, _parentSchema, dataCxt) {
    let value = data;
    if (normalize) {
      // The validated copy takes the normalized value (the validators judge a copy of the body).
      value = normalize(data);
      if (dataCxt && value !== data) (dataCxt.parentData as Record<string | number, unknown>)[dataCxt.parentDataProperty] = value;
    }
    const messages = check(schema, value, dataCxt?.parentData, this, data);
    validate.errors = messages.map((message): Partial<ErrorObject> => ({ keyword: name, message, params: {} }));
    return messages.length === 0;
  };
  return { keyword: name, type: 'string', validate, errors: true, ...(normalize && { modifying: true }) };
}
