import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { validatePhoneVerify } from '../../lib/patient/generated/phone-verify.js';

function fieldErrors(body: unknown) {
  try {
    validatePhoneVerify(body);
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  return undefined;
}

describe('the phone code field', () => {
  it.each([
    ['empty', '', ['Code is required']],
    ['letters', 'abcdef', ['Must be the 6 digits from the text message']],
    ['five digits', '12345', ['Must be the 6 digits from the text message']],
    ['seven digits', '1234567', ['Must be at most 6 characters', 'Must be the 6 digits from the text message']],
  ])('%s: one message per problem, in words (no regular expression)', (_what, code, messages) => {
    expect(fieldErrors({ code })).toEqual({ code: messages });
  });

  it('six digits pass', () => {
    expect(fieldErrors({ code: '012345' })).toBeUndefined();
  });
});
