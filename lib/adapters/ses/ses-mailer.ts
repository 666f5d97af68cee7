import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { Mailer } from '../../patient/ports.js';
import { composeVerificationMail } from '../../patient/verification-mail.js';

export function createSesMailer(ses: SESClient, from: string): Mailer {
  return {
    async sendVerificationEmail(mail) {
      const { subject, text, html } = composeVerificationMail(mail);
      await ses.send(
        new SendEmailCommand({
          Source: from,
          Destination: { ToAddresses: [mail.to] },
          Message: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
          },
        }),
      );
    },
  };
}
