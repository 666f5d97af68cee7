import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../../lib/config.js';
import { lambdaLogContext } from '../../lib/logging/lambda-context.js';
import { describeError, logger } from '../../lib/logging/logger.js';
import { deliverDueMails, deliverMail } from '../../lib/outbox/deliver-mail.js';
import { createMailerDeps } from '../../lib/wiring.js';

const deps = createMailerDeps(loadConfig(process.env, ['mail', 'identifiers', 'sms', 'sms-budget', 'reset-links']));

const isStreamEvent = (event: unknown): event is DynamoDBStreamEvent => Array.isArray((event as DynamoDBStreamEvent).Records);

/**
 * Delivers outbox mails. Triggered (1) by the table's stream when an outbox item is written (no
 * request sends its own mail: they answer after their commit), and (2) by a schedule that sweeps
 * items whose send failed, whose sender crashed, or that the stream missed. Claims make both safe to
 * run at once. Locally lib/local/outbox-relay.ts invokes it the same ways.
 * A record whose delivery throws (DynamoDB unreachable) is reported back for a retry, then the DLQ.
 */
async function deliver(event: DynamoDBStreamEvent | ScheduledEvent): Promise<DynamoDBBatchResponse | void> {
  if (!isStreamEvent(event)) {
    const counts = await deliverDueMails(deps);
    // A sweep that found nothing due is the normal case (every minute in AWS, every 5 s locally): not worth a line.
    if (counts.sent + counts.failed > 0) logger.info('outbox sweep', counts);
    return;
  }
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    // The stream is KEYS_ONLY: the outbox id is all a record carries; the claim reads the mail itself.
    const pk = record.dynamodb?.Keys?.pk?.S;
    if (!pk?.startsWith('OUTBOX#')) continue;
    try {
      await deliverMail(pk.slice('OUTBOX#'.length), deps);
    } catch (error) {
      logger.error('outbox delivery failed', describeError(error));
      batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
    }
  }
  return { batchItemFailures };
}

// No early timeout: a batch that runs out of time fails as it did before the chain (Lambda's own timeout).
const chain = middy<DynamoDBStreamEvent | ScheduledEvent, DynamoDBBatchResponse | void>({ timeoutEarlyInMillis: 0 }).use(lambdaLogContext()).handler(deliver);

/** Lambda passes its context (its request id goes on every line); local callers may leave it out. */
export const handler = (event: DynamoDBStreamEvent | ScheduledEvent, context?: Context) => chain(event, context ?? ({} as Context));
