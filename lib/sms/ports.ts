/** A text message to one phone number (E.164). */
export interface TextMessage {
  to: string;
  body: string;
}

/** Sends SMS: AWS End User Messaging SMS in AWS, the local SMS inbox (lib/local/sms-inbox.ts) locally. */
export interface SmsSender {
  sendText(message: TextMessage): Promise<void>;
}
