import type { Mailer, VerificationMail } from '../../../lib/patient/ports.js';

/** Records each mail it is asked to send; while `failing`, every send throws as an unreachable SES would. */
export interface RecordingMailer extends Mailer {
  readonly sent: VerificationMail[];
  failing: boolean;
  attempts: number;
}

export function createRecordingMailer(): RecordingMailer {
  const mailer: RecordingMailer = {
    sent: [],
    failing: false,
    attempts: 0,
    async sendVerificationEmail(mail) {
      mailer.attempts++;
      if (mailer.failing) throw Object.assign(new Error(`could not reach SES for ${mail.to}`), { name: 'TimeoutError' });
      mailer.sent.push({ ...mail });
    },
  };
  return mailer;
}
