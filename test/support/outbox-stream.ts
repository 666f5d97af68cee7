import { afterAll, beforeAll } from 'vitest';
import { startOutboxStream } from '../../lib/local/outbox-relay.js';

/**
 * Runs the real local stream consumer for this test file: the outbox-mailer handler on this file's
 * table stream, as `npm start` (and Lambda's event source mapping in AWS) runs it. Mails then
 * arrive on their own after a 201, as for a patient; read them with awaitMails (local-aws.ts).
 * Call it at the top of a file, after anything that changes the environment the handlers read.
 */
export function useOutboxStream(): void {
  let stream: { stop(): Promise<void> } | undefined;
  beforeAll(async () => {
    stream = await startOutboxStream(process.env.DYNAMODB_ENDPOINT!, process.env.OUTBOX_TABLE_NAME ?? process.env.TABLE_NAME!);
  });
  afterAll(async () => {
    await stream?.stop();
  });
}
