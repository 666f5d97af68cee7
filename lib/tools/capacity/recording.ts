/**
 * The shape of a capacity recording: what each user operation asked of AWS, call by call, as
 * test/integration/capacity-recording.test.ts captured it through the real handlers (the recorder
 * in test/support/capacity-capture.ts). The model (model.ts) turns it into units, ceilings and cost;
 * nothing here knows which calls an operation makes.
 */

/** One index entry of an item: where it sits and how big it is (table and index keys plus projection). */
export interface IndexEntry {
  /** The index partition key's value, pseudonymised (prefix kept, rest hashed): equal values stay equal. */
  partitionKey: string;
  /** Digest of every index key value: a changed key is a delete and a put in the index. */
  keyDigest: string;
  /** Digest of the projected attributes: unchanged means no index write at all. */
  digest: string;
  bytes: number;
}

/** One item a write touched, before and after the request (absent: no such item). */
export interface WrittenItem {
  table: string;
  /** The table partition key's value, pseudonymised. */
  partitionKey: string;
  kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  /** DynamoDB item size in bytes (attribute names plus values). */
  beforeBytes?: number;
  afterBytes?: number;
  /** Per global secondary index of the table: the item's entry before and after. */
  indexes: Record<string, { before?: IndexEntry; after?: IndexEntry }>;
}

/** One item a read returned or examined. */
export interface ReadItem {
  /** Full item size (a projection expression does not make a read cheaper), or the index entry's for an index read. */
  bytes: number;
  partitionKey: string;
}

export interface DynamoDbCall {
  service: 'dynamodb';
  fn: string;
  command: string;
  table: string;
  transactional: boolean;
  /** Whether DynamoDB refused it (a condition failed): it still consumed what it examined. */
  failed: boolean;
  writes: WrittenItem[];
  /** Reads: one group per unit of rounding (a GetItem per item; a Query per request). */
  reads: { index?: string; consistent: boolean; items: ReadItem[]; partitionKey?: string }[];
}

export interface KmsCall {
  service: 'kms';
  fn: string;
  command: string;
  /** The key as configured ($KMS_KEY_ID, $IDENTIFIER_KEY_ID, …). */
  key: string;
  signingAlgorithm?: string;
  macAlgorithm?: string;
  encryptionAlgorithm?: string;
  keySpec?: string;
}

export interface MessageCall {
  service: 'ses' | 'sms';
  fn: string;
  command: string;
  recipients: number;
}

export type RecordedCall = DynamoDbCall | KmsCall | MessageCall;

/** One performance of an operation by one user: every call, and each function's handler time. */
export interface OperationRun {
  calls: RecordedCall[];
  /** Handler wall time per function in this run, without the recorder's own reads. */
  durationMs: Record<string, number>;
}

export interface TableDescription {
  partitionKey: string;
  sortKey?: string;
  indexes: { name: string; partitionKey: string; sortKey?: string; projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; nonKeyAttributes?: string[] }[];
}

export interface CapacityRecording {
  recordedAt: string;
  tables: Record<string, TableDescription>;
  /** Operation name → its warm runs, each by a different user (so a shared partition key shows as equal keys). */
  operations: Record<string, { description: string; runs: OperationRun[] }>;
  /** The warm-up user's runs, operation by operation: each function's first invocation (a cold start's extra calls). */
  coldStarts?: Record<string, OperationRun>;
}

/** Where test/integration/capacity-recording.test.ts writes the recording and `npm run capacity` reads it. */
export const RECORDING_FILE = '.test-results/capacity/recording.json';
/** The test that writes it: `npm run capacity -- --record` runs it. */
export const RECORDING_TEST = 'test/integration/capacity-recording.test.ts';
