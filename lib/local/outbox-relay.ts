/**
 * Locally there is no event source mapping and no schedule: these invoke the same outbox-mailer
 * handler as AWS does, with the same events (lib/local/README.md).
 * - DynamoDB: the table's stream, consumed as Lambda's event source mapping does (stream-consumer.ts).
 * - PostgreSQL: each committed outbox insert's NOTIFY (migration 010), handed over as the KEYS_ONLY
 *   record the stream would carry for it.
 * - Both: a sweep with a scheduled event every few seconds (AWS: every minute) for what the stream or
 *   the listener missed (a failed send's retry after its backoff, a record given up, a gap).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { keys } from '../adapters/dynamodb/keys.js';
import type { OpenedPostgres } from '../adapters/postgres/open-database.js';
import { matchesFilter, OUTBOX_STREAM_SOURCE } from '../outbox/stream-source.js';
import { startStreamConsumer, type StreamHandler } from './stream-consumer.js';

/** The local sweep's period: the stream delivers new items; the sweep only what it missed. */
const SWEEP_INTERVAL_MS = 5_000;
/** MySQL has no LISTEN/NOTIFY: under `npm start` its outbox is swept this often instead (an idle sweep is one query and no log line). */
export const OUTBOX_POLL_INTERVAL_MS = 250;

interface Relay {
  stop(): Promise<void>;
}

// Imported when first started: the handler reads its configuration at module load, like a cold start.
const outboxMailer = async (): Promise<StreamHandler> => (await import('../../functions/outbox-mailer/handler.js')).handler;

export async function startOutboxRelay(intervalMs = SWEEP_INTERVAL_MS): Promise<Relay> {
  const handler = await outboxMailer();
  const sweep = { source: 'local.outbox-relay', 'detail-type': 'Scheduled Event' } as never;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    handler(sweep)
      .catch(() => undefined) // logged by the handler; the next tick tries again
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}

/** DynamoDB Local: the outbox mailer on the table's stream, as its event source mapping in AWS. */
export async function startOutboxStream(endpoint: string, tableName: string): Promise<Relay> {
  return startStreamConsumer({ endpoint, tableName, handler: await outboxMailer(), source: OUTBOX_STREAM_SOURCE });
}

/** PostgreSQL: the outbox mailer on each committed outbox insert (LISTEN outbox_insert). */
export async function startOutboxNotifications(onOutboxInsert: OpenedPostgres['onOutboxInsert']): Promise<Relay> {
  const handler = await outboxMailer();
  const stop = await onOutboxInsert((id) => {
    const record = keysOnlyInsert(id);
    if (!matchesFilter(OUTBOX_STREAM_SOURCE.filterPattern, record)) return;
    // A failed delivery is logged by the handler and left to the sweep.
    handler({ Records: [record] }).catch(() => undefined);
  });
  return { stop };
}

/** The record the table's KEYS_ONLY stream carries for a new outbox item. */
function keysOnlyInsert(id: string): DynamoDBRecord {
  const { pk, sk } = keys.outbox(id);
  return {
    eventName: 'INSERT',
    eventSource: 'local:postgres',
    dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, StreamViewType: 'KEYS_ONLY', SequenceNumber: id },
  };
}
