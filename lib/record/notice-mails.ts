import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { AccountNotice } from '../patient/ports.js';

/** The usual close: nothing to do if it was the patient, a reset if it was not. */
const IF_NOT_YOU = [
  'If this was you, there is nothing more to do.',
  'If this was not you, change your password from the sign-in page (choose "Forgot password") and contact the clinic.',
];

/**
 * A second factor someone else added: signing in now asks for it, a password reset keeps it (a reset
 * must not bypass a factor), and removing it needs it. So the patient cannot undo it alone: say so,
 * and send them to the clinic, rather than promise a way that does not work.
 */
const FACTOR_NOT_YOU = (factor: string) => [
  'If this was you, there is nothing more to do.',
  `If this was not you, someone knows your password. Signing in will now ask for ${factor}, and a new password does not remove it: contact the clinic at once to have it removed, and choose "Forgot password" on the sign-in page to set a new password.`,
];

/** What each notice says. No values and no name: the name may be the very thing that changed. */
const NOTICES: Record<AccountNotice, { subject: string; intro: (serviceName: string) => string[]; outro: string[] }> = {
  profile_changed: {
    subject: 'Your details were changed',
    intro: (serviceName) => [`The name or date of birth on your ${serviceName} account was just changed.`],
    outro: IF_NOT_YOU,
  },
  email_move_requested: {
    subject: 'A change of your email address was asked for',
    intro: (serviceName) => [
      `Someone signed in to your ${serviceName} account asked to move it to another email address. We sent a link to that address; nothing changes until it is opened.`,
    ],
    outro: [
      'If this was you, there is nothing more to do here.',
      'If this was not you, change your password from the sign-in page (choose "Forgot password"): that ends every session and the pending change, and contact the clinic.',
    ],
  },
  email_moved: {
    subject: 'Your email address was changed',
    intro: (serviceName) => [
      `Your ${serviceName} account now signs in with another email address, and every other device signed in to it was signed out. This address no longer belongs to the account.`,
    ],
    outro: ['If this was you, there is nothing more to do.', 'If this was not you, contact the clinic at once.'],
  },
  email_move_refused: {
    subject: 'Someone tried to use your email address',
    intro: (serviceName) => [
      `Someone signed in to a ${serviceName} account asked to move it to this email address. This address already belongs to an account, so nothing was changed.`,
    ],
    outro: ['If this was you, sign in with this address instead.', 'If it was not you, there is nothing to do: your account was not touched.'],
  },
  phone_moved: {
    subject: 'Your phone number was changed',
    intro: (serviceName) => [`The phone number on your ${serviceName} account was just replaced by a new one, proven by a code sent to it.`],
    outro: IF_NOT_YOU,
  },
  // No number and no name: the number belongs to someone else now, and the mail's address may not have proven itself.
  phone_number_taken_over: {
    subject: 'The phone number on your account was removed',
    intro: (serviceName) => [
      `The phone number on your ${serviceName} account was never confirmed by text message, and its owner has just proven it by a code sent to that phone.`,
      'The number now belongs to their account and has been removed from yours. Your account, your sign-in and your record are otherwise unchanged.',
    ],
    outro: [
      'To be reachable by phone again, sign in and add a new number in your account.',
      'If you think this is a mistake, contact the clinic.',
    ],
  },
  authenticator_app_added: {
    subject: 'An authenticator app was added to your account',
    intro: (serviceName) => [
      `An authenticator app was just set up as a second step for signing in to your ${serviceName} account.`,
      'From now on, signing in asks for a code from the app (or one of your recovery codes).',
    ],
    outro: FACTOR_NOT_YOU('the app'),
  },
  authenticator_app_removed: {
    subject: 'The authenticator app was removed from your account',
    intro: (serviceName) => [
      `The authenticator app was just removed from your ${serviceName} account, and every other device signed in to it was signed out.`,
      'Signing in no longer asks for a code from it.',
    ],
    outro: IF_NOT_YOU,
  },
  passkey_added: {
    subject: 'A passkey was added to your account',
    intro: (serviceName) => [`A passkey was just added to your ${serviceName} account: it can now sign in without your password.`],
    outro: FACTOR_NOT_YOU('the passkey'),
  },
  passkey_removed: {
    subject: 'A passkey was removed from your account',
    intro: (serviceName) => [`A passkey was just removed from your ${serviceName} account, and every other device signed in to it was signed out.`],
    outro: IF_NOT_YOU,
  },
  account_closed: {
    subject: 'Your account was closed',
    intro: (serviceName) => [
      `Your ${serviceName} account was just closed, and every device signed in to it was signed out.`,
      'Your record is kept, closed, for as long as the law requires us to keep medical records; nobody can sign in to it or read it through the app.',
    ],
    outro: [
      'To reopen it, choose "Forgot password" on the sign-in page and set a new password with the link we mail you.',
      'If you did not close it, do that now and contact the clinic.',
    ],
  },
};

/** A notice about the patient's own account, with no link (a link here is one more thing a phisher can imitate). */
export function composeAccountNotice(notice: AccountNotice, serviceName: string): RenderedMail {
  const { subject, intro, outro } = NOTICES[notice];
  return renderMail(serviceName, { subject, intro: intro(serviceName), outro });
}
