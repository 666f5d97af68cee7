import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { composePasswordChangedMail, composePasswordResetMail } from '../../password/password-mails.js';
import type { Mailer } from '../../patient/ports.js';
import { composeVerificationMail } from '../../patient/verification-mail.js';

export function createSesMailer(ses: SESClient, from: string): Mailer {
  const send = async (to: string, { subject, text, html }: { subject: string; text: string; html: string }) => {
    await ses.send(
      new SendEmailCommand({
        Source: from,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
        },
      }),
    );
  };
  return {
    sendVerificationEmail: (mail) => send(mail.to, composeVerificationMail(mail)),
    sendPasswordResetEmail: (mail) => send(mail.to, composePasswordResetMail(mail)),
    sendPasswordChangedEmail: (mail) => send(mail.to, composePasswordChangedMail(mail)),
  };
}
