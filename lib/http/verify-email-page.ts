import { GoneTokenError, InvalidTokenError, SignInRefusedError } from '../errors.js';
import { isTokenRefused, tokenFormPages } from './token-form-page.js';

/**
 * The page behind the link in the verification email. Confirming takes the account's password as
 * well as the link (pre-account hijacking: a link proves only the mailbox). A link already used
 * verified its email (both happen in one transaction): that is a success for the patient.
 */
export const verifyEmailPages = (serviceName: string) => tokenFormPages(serviceName, {
  title: 'Confirm your email address',
  intro: `To finish your registration with ${serviceName}, enter the password you chose when you registered.`,
  form: {
    id: 'verify',
    fields: [{ name: 'password', label: 'Your password', type: 'password', autocomplete: 'current-password', maxLength: 1024 }],
    buttonId: 'confirm',
    buttonText: 'Confirm my email',
    busyText: 'Verifying…',
  },
  done: { title: 'Email address confirmed', next: [`You can close this page and sign in to ${serviceName} with your email address and password.`] },
  newLink: {
    action: 'resend-verification',
    intro: 'Enter the email address you registered with, and we will send you a new verification link.',
    buttonText: 'Send me a new link',
    sentNext: ['Open the link in the new email within 24 hours. It can take a few minutes to arrive: check your spam folder too.'],
  },
  missingToken: new InvalidTokenError().message,
  refusal: (state) => (state === 'unknown' ? new InvalidTokenError() : new GoneTokenError(state)),
  verdict: ({ statusCode, error }) => {
    if (statusCode < 300 || (error instanceof GoneTokenError && error.reason === 'used')) return 'done';
    if (error instanceof GoneTokenError || error instanceof InvalidTokenError || isTokenRefused(error)) return 'new-link';
    if (error instanceof SignInRefusedError) return 'end';
    return 'retry';
  },
});
