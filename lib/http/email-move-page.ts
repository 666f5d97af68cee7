import { GoneEmailMoveLinkError, InvalidEmailMoveLinkError, SignInRefusedError, ValidationError } from '../errors.js';
import { isTokenRefused, tokenFormPages } from './token-form-page.js';

const ASK_AGAIN = ['To change your email address, sign in to the app and ask for the change again: a new link will be sent to the new address.'];

/**
 * The page behind the link that moves an account to a new address. It asks for the account's
 * password, as the verification page does: the link proves only the new mailbox, and an address
 * typed by mistake belongs to someone else, who must not get the account by clicking (and then
 * resetting its password). A used link did move the address (both in one transaction).
 */
export const emailMovePages = (serviceName: string) => tokenFormPages(serviceName, {
  title: 'Confirm your new email address',
  intro: `To move your ${serviceName} account to this email address, enter the account's password.`,
  form: {
    id: 'confirm-email-move',
    fields: [{ name: 'password', label: 'Your password', type: 'password', autocomplete: 'current-password', maxLength: 1024 }],
    buttonId: 'confirm',
    buttonText: 'Use this email address',
    busyText: 'Confirming…',
  },
  done: { title: 'Email address changed', next: [`From now on, sign in to ${serviceName} with this email address. Every other device was signed out.`] },
  newLink: { signedIn: ASK_AGAIN },
  missingToken: new InvalidEmailMoveLinkError().message,
  refusal: (state) => (state === 'unknown' ? new InvalidEmailMoveLinkError() : new GoneEmailMoveLinkError(state)),
  verdict: ({ statusCode, error }) => {
    if (statusCode < 300 || (error instanceof GoneEmailMoveLinkError && error.reason === 'used')) return 'done';
    if (error instanceof GoneEmailMoveLinkError || error instanceof InvalidEmailMoveLinkError || isTokenRefused(error)) return 'new-link';
    // The address was registered meanwhile, or the account was closed: nothing this link can do.
    if (error instanceof SignInRefusedError || (error instanceof ValidationError && 'email' in error.errors)) return 'end';
    return 'retry';
  },
});
