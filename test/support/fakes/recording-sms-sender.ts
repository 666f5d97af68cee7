import type { SmsSender, TextMessage } from '../../../lib/sms/ports.js';

/** Records each text it is asked to send; while `failing`, every send throws as an unreachable SMS service would. */
export interface RecordingSmsSender extends SmsSender {
  readonly sent: TextMessage[];
  failing: boolean;
  attempts: number;
}

export function createRecordingSmsSender(): RecordingSmsSender {
  const sender: RecordingSmsSender = {
    sent: [],
    failing: false,
    attempts: 0,
    async sendText(message) {
      sender.attempts++;
      if (sender.failing) throw Object.assign(new Error('could not reach the SMS service'), { name: 'TimeoutError' });
      sender.sent.push({ ...message });
    },
  };
  return sender;
}
