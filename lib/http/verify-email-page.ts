import { tokenFormPage } from './token-form-page.js';

/**
 * The page behind the link in the verification email. Confirming takes the account's password as
 * well as the link (pre-account hijacking: a link proves only the mailbox).
 */
const page = tokenFormPage({
  title: 'Confirm your email address',
  intro: 'Enter the password you chose when you registered to finish verifying your email address.',
  formId: 'verify',
  buttonId: 'confirm',
  buttonText: 'Confirm my email',
  busyText: 'Verifying…',
  fields: [{ name: 'password', label: 'Your password', autocomplete: 'current-password', maxLength: 1024 }],
});

export const verifyPageHtml = page.html;
export const VERIFY_PAGE_HTML = page.html();
export const VERIFY_PAGE_CSP = page.csp;
