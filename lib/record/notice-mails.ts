import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { AccountNotice } from '../patient/ports.js';

/** The usual close: nothing to do if it was the patient, a reset if it was not. */
const IF_NOT_YOU = [
  'If this was you, there is nothing more to do.',
  'If this was not you, change your password from the sign-in page (choose "Forgot password") and contact the clinic.',
];

/** What each notice says. No values and no name: the name may be the very thing that changed. */
const NOTICES: Record<AccountNotice, { subject: string; intro: (serviceName: string) => string[]; outro: string[] }> = {
  profile_changed: {
    subject: 'Your details were changed',
    intro: (serviceName) => [`The name or date of birth on your ${serviceName} account was just changed.`],
    outro: IF_NOT_YOU,
  },
  passkey_added: {
    subject: 'A passkey was added to your account',
    intro: (serviceName) => [`A passkey was just added to your ${serviceName} account: it can now sign in without your password.`],
    outro: [
      'If this was you, there is nothing more to do.',
      'If this was not you, sign in, remove the passkey under your passkeys, change your password and contact the clinic.',
    ],
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
