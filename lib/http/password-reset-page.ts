import { tokenFormPage } from './token-form-page.js';

/** The page behind the link in the password-reset email: a new password, twice. */
const page = tokenFormPage({
  title: 'Choose a new password',
  intro: 'At least 8 characters, with upper and lower case letters, a digit and a symbol. Every device signed in to your account will be signed out.',
  formId: 'reset',
  buttonId: 'save',
  buttonText: 'Set my new password',
  busyText: 'Saving…',
  fields: [
    { name: 'password', label: 'New password', autocomplete: 'new-password', maxLength: 256 },
    { name: 'confirm_password', label: 'New password, again', autocomplete: 'new-password', maxLength: 256 },
  ],
});

export const resetPageHtml = page.html;
export const RESET_PAGE_HTML = page.html();
export const RESET_PAGE_CSP = page.csp;
