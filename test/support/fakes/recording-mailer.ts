import type { AccountNoticeMail, ChangedMail, EmailMoveLinkMail, Mailer, ResetMail, VerificationMail } from '../../../lib/patient/ports.js';

/** Records each mail it is asked to send; while `failing`, every send throws as an unreachable SES would. */
export interface RecordingMailer extends Mailer {
  /** Verification mails. */
  readonly sent: VerificationMail[];
  readonly resetMails: ResetMail[];
  readonly changedMails: ChangedMail[];
  readonly notices: Pick<AccountNoticeMail, 'to' | 'notice'>[];
  readonly moveLinks: EmailMoveLinkMail[];
  failing: boolean;
  attempts: number;
}

export function createRecordingMailer(): RecordingMailer {
  const attempt = (to: string) => {
    mailer.attempts++;
    if (mailer.failing) throw Object.assign(new Error(`could not reach SES for ${to}`), { name: 'TimeoutError' });
  };
  const mailer: RecordingMailer = {
    sent: [],
    resetMails: [],
    changedMails: [],
    notices: [],
    moveLinks: [],
    failing: false,
    attempts: 0,
    async sendVerificationEmail(mail) {
      attempt(mail.to);
      mailer.sent.push({ ...mail });
    },
    async sendPasswordResetEmail(mail) {
      attempt(mail.to);
      mailer.resetMails.push({ ...mail });
    },
    async sendPasswordChangedEmail(mail) {
      attempt(mail.to);
      mailer.changedMails.push({ ...mail });
    },
    async sendAccountNotice(mail) {
      attempt(mail.to);
      mailer.notices.push({ ...mail });
    },
    async sendEmailMoveLink(mail) {
      attempt(mail.to);
      mailer.moveLinks.push({ ...mail });
    },
  };
  return mailer;
}
