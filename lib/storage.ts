import type { IdempotencyStore } from './idempotency/ports.js';
import type { OutboxStore } from './outbox/ports.js';
import type { PatientRepository } from './patient/ports.js';
import type { RateLimiter } from './rate-limit/ports.js';

/** Everything that persists: one implementation per database, all behind ports. */
export interface Storage {
  repository: PatientRepository;
  outbox: OutboxStore;
  registrations: IdempotencyStore;
  rateLimiter: RateLimiter;
}
