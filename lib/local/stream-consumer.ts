/**
 * A DynamoDB stream consumer for DynamoDB Local that does what Lambda's event source mapping does
 * for the outbox mailer in AWS: it starts at LATEST on the table's open shards, polls GetRecords,
 * follows a closed shard's children (from their start, once the parent is read to its end), keeps
 * only records that pass the mapping's filter pattern, and invokes the handler with a
 * DynamoDBStreamEvent of at most batchSize records, retrying a batch from its first reported
 * failure up to retryAttempts times. What it still misses (records it gave up on, the gap while a
 * process was down) is the sweep's, as in AWS.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describeError, logger } from '../logging/logger.js';
import { matchesFilter, type FilterPattern } from '../outbox/stream-source.js';
import { localClientConfig } from './services.js';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface StreamConsumerOptions {
  endpoint: string;
  tableName: string;
  handler: StreamHandler;
  source: { batchSize: number; retryAttempts: number; filterPattern: FilterPattern };
  /** Between polls of a shard that had nothing new. */
  pollMs?: number;
  region?: string;
}

export interface StreamConsumer {
  stop(): Promise<void>;
}

interface ShardState {
  iterator?: string;
  /** The last record read (handed over or filtered out): where to resume with a new iterator. */
  lastSequence?: string;
  ended: boolean;
}

const DEFAULT_POLL_MS = 150;
const RECORDS_PER_READ = 100;
/** Before the first retry of a failed batch; doubled for each next one. */
const RETRY_BACKOFF_MS = 100;

export async function startStreamConsumer(options: StreamConsumerOptions): Promise<StreamConsumer> {
  const region = options.region ?? 'us-east-1';
  const clientConfig = localClientConfig(options.endpoint, region);
  const tables = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const { batchSize, retryAttempts, filterPattern } = options.source;

  let streamArn: string;
  try {
    const { Table } = await tables.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`table ${options.tableName} has no stream (StreamSpecification in lib/adapters/dynamodb/keys.ts)`);
    streamArn = Table.LatestStreamArn;
  } finally {
    tables.destroy();
  }

  const shards = new Map<string, ShardState>();
  const iteratorOf = async (shardId: string, type: ShardIteratorType, sequence?: string) =>
    (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: sequence })))
      .ShardIterator;

  async function describeShards(): Promise<Shard[]> {
    const all: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      all.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return all;
  }

  /** Shards that are new since the last look: a child is read from its start once its parent is done. */
  async function discoverShards(initial: boolean): Promise<void> {
    for (const shard of await describeShards()) {
      const id = shard.ShardId!;
      if (shards.has(id)) continue;
      const open = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      if (initial) {
        // As the mapping's StartingPosition LATEST: what was written before it started is not its.
        shards.set(id, open ? await latestOf(id) : { ended: true });
        continue;
      }
      const parent = shard.ParentShardId ? shards.get(shard.ParentShardId) : undefined;
      if (parent && !parent.ended) continue; // records in order: the parent first
      shards.set(id, { iterator: await iteratorOf(id, 'TRIM_HORIZON'), ended: false });
    }
  }

  /**
   * LATEST, as a position that stays valid. DynamoDB Local numbers stream records across all its
   * tables, and a LATEST iterator on a shard with no records yet turns into a position before the
   * shard's first record once another table is written (TrimmedDataAccessException), so the
   * position is kept as the shard's last record instead: read through what is there now.
   */
  async function latestOf(id: string): Promise<ShardState> {
    const state: ShardState = { iterator: await iteratorOf(id, 'TRIM_HORIZON'), ended: false };
    for (;;) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: 1000 }));
      state.iterator = page.NextShardIterator;
      if (!state.iterator) return { ended: true };
      const last = page.Records?.at(-1)?.dynamodb?.SequenceNumber;
      if (!last) return state;
      state.lastSequence = last;
    }
  }

  /** Hands records to the handler in batches; a batch is retried from its first reported failure. */
  async function deliver(records: DynamoDBRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += batchSize) {
      let batch = records.slice(start, start + batchSize);
      for (let attempt = 0; batch.length > 0; attempt++) {
        let failedFrom: number;
        try {
          const failures = (await options.handler({ Records: batch }))?.batchItemFailures ?? [];
          const failed = new Set(failures.map((f) => f.itemIdentifier));
          failedFrom = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
        } catch (error) {
          logger.warn('outbox stream batch failed', describeError(error));
          failedFrom = 0;
        }
        if (failedFrom < 0) break;
        if (attempt >= retryAttempts) {
          logger.warn('outbox stream records left to the sweep after their retries', { records: batch.length - failedFrom });
          break;
        }
        batch = batch.slice(failedFrom);
        await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS * 2 ** attempt));
      }
    }
  }

  async function readShard(id: string, state: ShardState): Promise<boolean> {
    let page;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: RECORDS_PER_READ }));
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException)) throw error;
      // Iterators expire after 15 minutes (and see latestOf): resume right after the last record
      // read, or, in a shard that had none when this started, from its first record.
      state.iterator = state.lastSequence
        ? await iteratorOf(id, 'AFTER_SEQUENCE_NUMBER', state.lastSequence)
        : await iteratorOf(id, 'TRIM_HORIZON');
      return true;
    }
    const records = page.Records ?? [];
    if (records.length > 0) {
      await deliver(records.map((r) => lambdaRecordOf(r, streamArn, region)).filter((r) => matchesFilter(filterPattern, r)));
      state.lastSequence = records.at(-1)!.dynamodb?.SequenceNumber;
    }
    state.iterator = page.NextShardIterator;
    if (!state.iterator) state.ended = true; // closed and read to its end: its children come next
    return records.length > 0;
  }

  let stopped = false;
  let rediscover = true;
  await discoverShards(true);
  const loop = (async () => {
    let sinceDiscovery = 0;
    while (!stopped) {
      let busy = false;
      try {
        // New shards appear when one closes (or now and then, as DynamoDB rolls them): look again.
        if (rediscover || (sinceDiscovery += pollMs) >= 5_000) {
          await discoverShards(false);
          rediscover = false;
          sinceDiscovery = 0;
        }
        for (const [id, state] of shards) {
          if (stopped || state.ended || !state.iterator) continue;
          busy = (await readShard(id, state)) || busy;
          if (state.ended) rediscover = true;
        }
      } catch (error) {
        if (stopped) break;
        logger.warn('outbox stream read failed; retrying', describeError(error));
      }
      if (!busy && !stopped) await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      await loop;
      streams.destroy();
    },
  };
}

/** The record as Lambda hands it to a function: the SDK's shape, with the creation time in epoch seconds. */
function lambdaRecordOf(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    dynamodb: {
      ...(dynamodb as NonNullable<DynamoDBRecord['dynamodb']>),
      ...(ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }),
    },
    eventSourceARN: streamArn,
  };
}
