import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { EmailMoveLinkMail } from '../patient/ports.js';
import { EMAIL_MOVE_LINK_MINUTES } from './move-email.js';

/**
 * The link that moves an account to this address. The address is not proven yet, so nothing the
 * patient typed (no name); it says what the link does, that it asks for the password, and that
 * ignoring it changes nothing.
 */
export function composeEmailMoveMail(mail: EmailMoveLinkMail, serviceName: string): RenderedMail {
  return renderMail(serviceName, {
    subject: 'Confirm your new email address',
    intro: [`Someone signed in to a ${serviceName} account asked to use this address for it. Confirm it to finish the change.`],
    action: { label: 'Confirm my new email', url: mail.confirmUrl },
    outro: [
      `On the page that opens, enter the account's password. The link works once and expires in ${EMAIL_MOVE_LINK_MINUTES} minutes.`,
      'If you did not ask for this, ignore this email: nothing changes.',
    ],
  });
}
