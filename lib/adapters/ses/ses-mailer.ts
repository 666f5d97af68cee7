import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { DEFAULT_SERVICE_NAME } from '../../config.js';
import type { RenderedMail } from '../../mail/render-mail.js';
import { senderMailbox } from '../../mail/sender.js';
import { composePasswordChangedMail, composePasswordResetMail } from '../../password/password-mails.js';
import type { Mailer } from '../../patient/ports.js';
import { composeVerificationMail } from '../../patient/verification-mail.js';
import { composeEmailMoveMail } from '../../record/email-move-mail.js';
import { composeAccountNotice } from '../../record/notice-mails.js';

/** Sends from `from` under the service's name ("Patient Registration <no-reply@…>"). */
export function createSesMailer(ses: SESClient, from: string, serviceName = DEFAULT_SERVICE_NAME): Mailer {
  const source = senderMailbox(serviceName, from);
  const send = async (to: string, { subject, text, html }: RenderedMail) => {
    await ses.send(
      new SendEmailCommand({
        Source: source,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
        },
      }),
    );
  };
  return {
    sendVerificationEmail: (mail) => send(mail.to, composeVerificationMail(mail, serviceName)),
    sendPasswordResetEmail: (mail) => send(mail.to, composePasswordResetMail(mail, serviceName)),
    sendPasswordChangedEmail: (mail) => send(mail.to, composePasswordChangedMail(mail, serviceName)),
    sendAccountNotice: (mail) => send(mail.to, composeAccountNotice(mail.notice, serviceName)),
    sendEmailMoveLink: (mail) => send(mail.to, composeEmailMoveMail(mail, serviceName)),
  };
}
