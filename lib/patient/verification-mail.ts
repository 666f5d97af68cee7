import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { VerificationMail } from './ports.js';

/** The verification email: the link only. The address has not proven itself, so nothing the registrant typed. */
export function composeVerificationMail(mail: VerificationMail, serviceName: string): RenderedMail {
  return renderMail(serviceName, {
    subject: 'Confirm your email address',
    intro: [`Thank you for registering with ${serviceName}. Please confirm your email address to finish your registration.`],
    action: { label: 'Confirm my email', url: mail.verifyUrl },
    outro: [
      'On the page that opens, enter the password you chose when you registered. The link works once and expires in 24 hours.',
      'If you did not register, ignore this email.',
    ],
  });
}
