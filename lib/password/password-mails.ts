import { renderMail, type RenderedMail } from '../mail/render-mail.js';
import type { ChangedMail, ResetMail } from '../patient/ports.js';

/** The reset mail: the link only. The account may be unverified (the address unproven), so nothing the registrant typed. */
export function composePasswordResetMail(mail: ResetMail, serviceName: string): RenderedMail {
  return renderMail(serviceName, {
    subject: 'Reset your password',
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
  const when = changeTime(mail.changedAt);
  const viaReset = mail.sessionsEnded === 'all';
  return renderMail(serviceName, {
    subject: 'Your password was changed',
    firstName: mail.firstName,
    intro: [
      viaReset
        ? `The password of your ${serviceName} account was changed with a reset link on ${when}, and every device signed in to your account was signed out.`
        : `The password of your ${serviceName} account was changed on ${when}, and every other device signed in to your account was signed out.`,
    ],
    outro: [
      'If this was you, there is nothing more to do.',
      viaReset
        ? 'If this was not you, someone can read your email: change your email account\'s password first, then request a password reset from the sign-in page, and contact the clinic.'
        : 'If this was not you, request a password reset from the sign-in page at once (it signs every device out) and contact the clinic.',
    ],
  });
}

// A mail cannot know the reader's time zone: UTC, said so.
const TIME_OF_CHANGE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: 'UTC' });
const changeTime = (iso: string) => `${TIME_OF_CHANGE.format(new Date(iso))} UTC`;
