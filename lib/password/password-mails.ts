import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { ChangedMail, ResetMail } from '../patient/ports.js';

/** The reset mail: the first name and the link only, no other patient data. */
export function composePasswordResetMail(mail: ResetMail, serviceName: string): RenderedMail {
  return renderMail(serviceName, {
    subject: 'Reset your password',
    firstName: mail.firstName,
    intro: [`We received a request to reset the password of your ${serviceName} account.`],
    action: { label: 'Choose a new password', url: mail.resetUrl },
    outro: [
      'The link works once and expires in 30 minutes. After the change, every device signed in to your account is signed out.',
      'If you did not ask for it, ignore this email: your password stays as it is.',
    ],
  });
}

/**
 * "Your password was changed": a notice with no link at all, so it cannot be turned into a way in
 * (a link here would be one more thing a phisher can imitate, and the patient can act through the app).
 */
export function composePasswordChangedMail(mail: ChangedMail, serviceName: string): RenderedMail {
  return renderMail(serviceName, {
    subject: 'Your password was changed',
    firstName: mail.firstName,
    intro: [`The password of your ${serviceName} account was just changed, and every other signed-in device was signed out.`],
    outro: [
      'If this was you, there is nothing more to do.',
      'If this was not you, request a password reset from the sign-in page and contact the clinic.',
    ],
  });
}
