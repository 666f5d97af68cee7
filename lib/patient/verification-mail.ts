import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { VerificationMail } from './ports.js';

/** The verification email. It carries the first name and the link only, no other patient data. */
export function composeVerificationMail(mail: VerificationMail, serviceName: string): RenderedMail {
  return renderMail(serviceName, {
    subject: 'Confirm your email address',
    firstName: mail.firstName,
    intro: [`Thank you for registering with ${serviceName}. Please confirm your email address to finish your registration.`],
    action: { label: 'Confirm my email', url: mail.verifyUrl },
    outro: [
      'On the page that opens, enter the password you chose when you registered. The link works once and expires in 24 hours.',
      'If you did not register, ignore this email.',
    ],
  });
}
