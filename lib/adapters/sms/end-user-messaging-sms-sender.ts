import { SendTextMessageCommand, type PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { SmsSender } from '../../sms/ports.js';

export interface SmsSenderOptions {
  /** Phone number, sender id, or phone pool id/ARN the text is sent from. */
  originationIdentity: string;
  configurationSet?: string;
}

/**
 * SMS through AWS End User Messaging SMS (SendTextMessage, the current service; SNS SMS is the older
 * path). TRANSACTIONAL: a code the patient is waiting for, routed for delivery rather than price.
 */
export function createEndUserMessagingSmsSender(client: PinpointSMSVoiceV2Client, options: SmsSenderOptions): SmsSender {
  return {
    async sendText({ to, body }) {
      await client.send(new SendTextMessageCommand({
        DestinationPhoneNumber: to,
        OriginationIdentity: options.originationIdentity,
        MessageBody: body,
        MessageType: 'TRANSACTIONAL',
        ...(options.configurationSet && { ConfigurationSetName: options.configurationSet }),
      }));
    },
  };
}
