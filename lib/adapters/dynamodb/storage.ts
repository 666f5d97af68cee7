import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdentifierDigests } from '../../identifiers/ports.js';
import type { Storage } from '../../storage.js';
import { createDynamoIdempotencyStore } from './idempotency-store.js';
import { createDynamoOutboxStore } from './outbox-store.js';
import { createDynamoPatientRepository } from './patient-repository.js';
import { createDynamoLoginFailureCounter } from './login-failure-counter.js';
import { createDynamoRateLimiter } from './rate-limiter.js';
import { createDynamoSessionStore } from './session-store.js';

/** All stores on the one table. */
export function createDynamoStorage(db: DynamoDBDocumentClient, tableName: string, identifiers: IdentifierDigests): Storage {
  return {
    repository: createDynamoPatientRepository(db, tableName, identifiers),
    outbox: createDynamoOutboxStore(db, tableName),
    registrations: createDynamoIdempotencyStore(db, tableName, 'register'),
    rateLimiter: createDynamoRateLimiter(db, tableName),
    sessions: createDynamoSessionStore(db, tableName),
    loginFailures: createDynamoLoginFailureCounter(db, tableName),
  };
}
