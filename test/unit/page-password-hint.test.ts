import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { PASSWORD_HINT, passwordResetPages } from '../../lib/http/password-reset-page.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';
import { passwordProblems } from '../../lib/patient/keywords/password.js';
import { PASSWORD_MAX_BYTES } from '../../lib/patient/registration-schema.js';

const reset = passwordResetPages('Riverside Clinic');

/**
 * Each rule passwordProblems checks, and the words the hint names it by. A rule added there without a
 * word here fails the count below (issue 22 item 7).
 */
const RULES: readonly [rule: RegExp, hint: string][] = [
  [/at least 8 characters/, 'At least 8 characters'],
  [/uppercase/, 'an uppercase'],
  [/lowercase/, 'a lowercase letter'],
  [/number/, 'a number'],
  [/special character/, 'a special character'],
  [new RegExp(`at most ${PASSWORD_MAX_BYTES} bytes`), `at most ${PASSWORD_MAX_BYTES} bytes`],
  [/too common/, 'not a common password'],
];

describe('the reset page\'s password hint', () => {
  it('names every rule the validator checks, the common-password list included', () => {
    // Every rule at once: empty (length, classes) and one over the byte limit that is also common-free.
    const problems = new Set([...passwordProblems(''), ...passwordProblems('é'.repeat(PASSWORD_MAX_BYTES)), ...passwordProblems('password')]);
    expect(problems.size).toBe(RULES.length);
    for (const problem of problems) {
      const rule = RULES.find(([pattern]) => pattern.test(problem));
      expect(rule, problem).toBeDefined();
      expect(PASSWORD_HINT).toContain(rule![1]);
    }
    expect(reset.form()).toContain(PASSWORD_HINT);
  });

  it('stays on the page after a refused password, beside the error', () => {
    const page = reset.result({ statusCode: 422, message: 'Validation failed: Password must contain a number.', error: new ValidationError({ password: ['Password must contain a number'] }) });
    expect(page).toContain('Password must contain a number');
    expect(page).toContain(PASSWORD_HINT);
  });
});

describe('a hidden username field for password managers', () => {
  it.each([['the reset form', reset.form()], ['the verification form', verifyEmailPages('Riverside Clinic').form()]])('%s has one, never posted', (_name, html) => {
    expect(html).toMatch(/<input id="username" type="text" autocomplete="username" hidden aria-hidden="true" tabindex="-1">/);
    expect(html).not.toMatch(/<input[^>]*autocomplete="username"[^>]*name=/);
  });

  it('the new-link form (an email only) has none', () => {
    const page = reset.missingToken();
    expect(page).not.toContain('autocomplete="username"');
  });
});
