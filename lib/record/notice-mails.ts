import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { AccountNotice } from '../patient/ports.js';

/** What each notice says. No values and no name: the name may be the very thing that changed. */
const NOTICES: Record<AccountNotice, { subject: string; intro: (serviceName: string) => string }> = {
  profile_changed: {
    subject: 'Your details were changed',
    intro: (serviceName) => `The name or date of birth on your ${serviceName} account was just changed.`,
  },
};

/** A notice about the patient's own account, with no link (a link here is one more thing a phisher can imitate). */
export function composeAccountNotice(notice: AccountNotice, serviceName: string): RenderedMail {
  const { subject, intro } = NOTICES[notice];
  return renderMail(serviceName, {
    subject,
    intro: [intro(serviceName)],
    outro: [
      'If this was you, there is nothing more to do.',
      'If this was not you, change your password from the sign-in page (choose "Forgot password") and contact the clinic.',
    ],
  });
}
