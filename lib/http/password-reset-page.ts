import { GoneResetTokenError, InvalidResetTokenError } from '../errors.js';
import { PASSWORD_MAX_BYTES } from '../patient/registration-schema.js';
import { isTokenRefused, tokenFormPages } from './token-form-page.js';

/**
 * Every rule of lib/patient/keywords/password.ts, in words (test/unit/pages.test.ts ties the two): said
 * up front and again after a refusal. The common-password list itself stays out of the page's bundle.
 */
export const PASSWORD_HINT =
  `At least 8 characters (at most ${PASSWORD_MAX_BYTES} bytes), with an uppercase and a lowercase letter, a number and a special character; not a common password (we check a list of commonly used ones).`;

/** The page behind the link in the password-reset email: a new password, twice. */
export const passwordResetPages = (serviceName: string) => tokenFormPages(serviceName, {
  title: 'Choose a new password',
  intro: `${PASSWORD_HINT} Every device signed in to your account will be signed out.`,
  form: {
    id: 'reset',
    fields: [
      { name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', maxLength: 256 },
      { name: 'confirm_password', label: 'New password, again', type: 'password', autocomplete: 'new-password', maxLength: 256 },
    ],
    buttonId: 'save',
    buttonText: 'Set my new password',
    busyText: 'Saving…',
  },
  done: { title: 'Password changed', next: [`Every device that was signed in to your account has been signed out. Sign in to ${serviceName} with your new password.`] },
  newLink: {
    action: 'forgot',
    intro: 'Enter the email address of your account, and we will send you a new password reset link.',
    buttonText: 'Send me a new link',
    sentNext: ['Open the link in the new email within 30 minutes. It can take a few minutes to arrive: check your spam folder too.'],
  },
  missingToken: new InvalidResetTokenError().message,
  refusal: (state) => (state === 'unknown' ? new InvalidResetTokenError() : new GoneResetTokenError(state)),
  verdict: ({ statusCode, error }) => {
    if (statusCode < 300) return 'done';
    if (error instanceof GoneResetTokenError || error instanceof InvalidResetTokenError || isTokenRefused(error)) return 'new-link';
    return 'retry';
  },
});
