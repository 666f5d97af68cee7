/**
 * In-memory fakes of every port, for unit tests of the use cases: they keep the ports' contracts
 * (test/unit/in-memory-storage.contract.test.ts runs the storage contract against them), so a use
 * case test fails for the use case's faults, in milliseconds and without Java.
 */
import type { IdentifierDigests } from '../../../lib/identifiers/ports.js';
import type { DeliverMailDeps } from '../../../lib/outbox/deliver-mail.js';
import type { RegisterPatientDeps } from '../../../lib/patient/register-patient.js';
import type { Storage } from '../../../lib/storage.js';
import { createInMemoryAuditTrail, type InMemoryAuditTrail } from './in-memory-audit-trail.js';
import { createFixedClock, type FixedClock } from './fixed-clock.js';
import { createInMemoryIdempotencyStore } from './in-memory-idempotency-store.js';
import { createInMemoryOutbox, type InMemoryOutbox } from './in-memory-outbox.js';
import { createInMemoryPatientRepository, type InMemoryPatientRepository } from './in-memory-patient-repository.js';
import { createInMemoryRateLimiter } from './in-memory-rate-limiter.js';
import { createInMemoryLoginFailureCounter, createInMemorySessionStore } from './in-memory-sessions.js';
import { createRecordingCipher, type RecordingCipher } from './recording-cipher.js';
import { createRecordingHasher, type RecordingHasher } from './recording-hasher.js';
import { createRecordingMailer, type RecordingMailer } from './recording-mailer.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../identifier-keys.js';

export interface InMemoryStorage extends Storage {
  repository: InMemoryPatientRepository;
  outbox: InMemoryOutbox;
  audit: InMemoryAuditTrail;
}

export function createInMemoryStorage(): InMemoryStorage {
  const outbox = createInMemoryOutbox();
  return {
    repository: createInMemoryPatientRepository(outbox),
    outbox,
    registrations: createInMemoryIdempotencyStore(),
    rateLimiter: createInMemoryRateLimiter(),
    sessions: createInMemorySessionStore(),
    loginFailures: createInMemoryLoginFailureCounter(),
    audit: createInMemoryAuditTrail(),
  };
}

export const VERIFY_URL_BASE = 'https://app.clinic.test/verify-email';

/** Everything the use cases take, faked, with the fakes typed for assertions. */
export interface FakeDeps extends RegisterPatientDeps, DeliverMailDeps {
  storage: InMemoryStorage;
  repository: InMemoryPatientRepository;
  outbox: InMemoryOutbox;
  cipher: RecordingCipher;
  hasher: RecordingHasher;
  mailer: RecordingMailer;
  clock: FixedClock;
  rateLimiter: Storage['rateLimiter'];
  /** Real HMAC digests under a fresh key ring: cheap, and nothing to fake. */
  identifiers: IdentifierDigests;
}

export function createFakeDeps(): FakeDeps {
  const storage = createInMemoryStorage();
  return {
    storage,
    repository: storage.repository,
    outbox: storage.outbox,
    rateLimiter: storage.rateLimiter,
    identifiers: testIdentifierDigests(identifierKeyRingJson()),
    cipher: createRecordingCipher(),
    hasher: createRecordingHasher(),
    mailer: createRecordingMailer(),
    clock: createFixedClock(),
    verifyUrlBase: VERIFY_URL_BASE,
  };
}

export { createInMemoryAuditTrail, createInMemoryLoginFailureCounter, createInMemorySessionStore };
export { createFixedClock, createInMemoryIdempotencyStore, createInMemoryOutbox, createInMemoryPatientRepository, createInMemoryRateLimiter };
export { createRecordingCipher, createRecordingHasher, createRecordingMailer };
export { fakeHash } from './recording-hasher.js';
export { FAKE_KEY_ID } from './recording-cipher.js';
