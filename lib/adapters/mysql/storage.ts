import type { Storage } from '../../storage.js';
import { createMysqlAuditTrail } from './audit-trail.js';
import { createMysqlContactMoves } from './contact-moves.js';
import { createMysqlIdempotencyStore } from './idempotency-store.js';
import { createMysqlLoginFailureCounter } from './login-failure-counter.js';
import type { MysqlExecutor } from './mysql-executor.js';
import { createMysqlOutboxStore } from './outbox-store.js';
import { createMysqlPatientRepository } from './patient-repository.js';
import { createMysqlPasskeyStore } from './passkey-store.js';
import { createMysqlPhoneCodeStore } from './phone-code-store.js';
import { createMysqlRateLimiter } from './rate-limiter.js';
import { createMysqlMfaChallengeStore, createMysqlTotpStore } from './second-factor-store.js';
import { createMysqlSessionStore } from './session-store.js';

/** Every port that persists, on one MySQL database (migrated: see migrate.ts). */
export function createMysqlStorage(db: MysqlExecutor): Storage {
  return {
    repository: createMysqlPatientRepository(db),
    outbox: createMysqlOutboxStore(db),
    registrations: createMysqlIdempotencyStore(db, 'register'),
    rateLimiter: createMysqlRateLimiter(db),
    sessions: createMysqlSessionStore(db),
    loginFailures: createMysqlLoginFailureCounter(db),
    audit: createMysqlAuditTrail(db),
    phoneCodes: createMysqlPhoneCodeStore(db),
    contactMoves: createMysqlContactMoves(db),
    totp: createMysqlTotpStore(db),
    mfaChallenges: createMysqlMfaChallengeStore(db),
    passkeys: createMysqlPasskeyStore(db),
  };
}
