import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdentifierDigests } from '../../identifiers/ports.js';
import type { Storage } from '../../storage.js';
import { createDynamoAuditTrail } from './audit-trail.js';
import { createDynamoContactMoves } from './contact-moves.js';
import { createDynamoIdempotencyStore } from './idempotency-store.js';
import { createDynamoOutboxStore } from './outbox-store.js';
import { createDynamoPasskeyStore } from './passkey-store.js';
import { createDynamoPhoneCodeStore } from './phone-code-store.js';
import { createDynamoPatientRepository } from './patient-repository.js';
import { createDynamoLoginFailureCounter } from './login-failure-counter.js';
import { createDynamoRateLimiter } from './rate-limiter.js';
import { createDynamoMfaChallengeStore } from './mfa-challenge-store.js';
import { createDynamoTotpStore } from './totp-store.js';
import { createDynamoSessionStore } from './session-store.js';

/**
 * The tables: the patient table, which every store's command names (the client moves each command
 * to its item's table: placement.ts, put on by createDynamoDocumentClient), and the audit trail's
 * own (6-year retention).
 */
export interface DynamoTableNames {
  tableName: string;
  auditTableName: string;
  /** Shards of the outbox's due index (OUTBOX_SHARDS, keys.ts): writers and the sweep must agree. */
  outboxShards: number;
}

/**
 * All stores on the patient table (the client places each command on its item's table), the audit
 * trail on its own. A Config is a DynamoTableNames.
 */
export function createDynamoStorage(db: DynamoDBDocumentClient, { tableName, auditTableName, outboxShards }: DynamoTableNames, identifiers: IdentifierDigests): Storage {
  return {
    repository: createDynamoPatientRepository(db, tableName, identifiers, { outboxShards }),
    outbox: createDynamoOutboxStore(db, tableName, outboxShards),
    registrations: createDynamoIdempotencyStore(db, tableName, 'register'),
    rateLimiter: createDynamoRateLimiter(db, tableName),
    sessions: createDynamoSessionStore(db, tableName),
    loginFailures: createDynamoLoginFailureCounter(db, tableName),
    audit: createDynamoAuditTrail(db, auditTableName),
    phoneCodes: createDynamoPhoneCodeStore(db, tableName, outboxShards, identifiers),
    contactMoves: createDynamoContactMoves(db, tableName, identifiers, outboxShards),
    totp: createDynamoTotpStore(db, tableName, outboxShards),
    mfaChallenges: createDynamoMfaChallengeStore(db, tableName),
    passkeys: createDynamoPasskeyStore(db, tableName, outboxShards),
  };
}
