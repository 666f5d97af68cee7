import { createPostgresPasskeyStore } from './passkey-store.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Storage } from '../../storage.js';
import { migrateOrClose } from '../sql/migration-files.js';
import { redactUrl } from '../sql/redact-url.js';
import { createPostgresContactMoves } from './contact-moves.js';
import { createPostgresAuditTrail } from './audit-trail.js';
import { createPostgresIdempotencyStore } from './idempotency-store.js';
import { migrate } from './migrate.js';
import { createPgExecutor } from './pg-executor.js';
import { createPgliteExecutor } from './pglite-executor.js';
import { createPostgresOutboxStore } from './outbox-store.js';
import { createPostgresPatientRepository } from './patient-repository.js';
import { createPostgresMfaChallengeStore, createPostgresTotpStore } from './second-factor-store.js';
import { createPostgresPhoneCodeStore } from './phone-code-store.js';
import { createPostgresLoginFailureCounter } from './login-failure-counter.js';
import { createPostgresRateLimiter } from './rate-limiter.js';
import { createPostgresSessionStore } from './session-store.js';
import type { SqlExecutor } from './sql-executor.js';

export interface OpenedPostgres {
  /** Every port that persists, for useStorage() in lib/wiring.ts. */
  storage: Storage;
  /** Where the data lives, for the start banner (never the password). */
  description: string;
  /** Calls listener with the id of each outbox row once its transaction commits (migration 010). */
  onOutboxInsert(listener: (id: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The channel migration 010's trigger notifies with each new outbox row's id. */
export const OUTBOX_INSERT_CHANNEL = 'outbox_insert';

/**
 * The local runner's PostgreSQL: the server at databaseUrl through `pg`, or, without one, embedded
 * PGlite (persisted under dataDir, else in memory). Migrations are applied before it is returned.
 * Imported dynamically by lib/local/start.ts only, so neither driver reaches a Lambda bundle.
 */
export async function openPostgres({ databaseUrl, dataDir }: { databaseUrl?: string; dataDir?: string }): Promise<OpenedPostgres> {
  let db: SqlExecutor;
  let description: string;
  if (databaseUrl) {
    db = createPgExecutor(databaseUrl);
    description = redactUrl(databaseUrl);
  } else {
    // PGlite is a devDependency, like the rest of the local runner.
    const { PGlite } = await import('@electric-sql/pglite');
    const folder = dataDir && join(dataDir, 'pglite');
    if (folder) mkdirSync(folder, { recursive: true });
    db = createPgliteExecutor(folder ? await PGlite.create(folder) : await PGlite.create());
    description = `embedded PGlite (${folder ? `data in ${folder}` : 'in memory'})`;
  }
  description = await migrateOrClose(db, () => migrate(db), description);
  const storage: Storage = {
    repository: createPostgresPatientRepository(db),
    outbox: createPostgresOutboxStore(db),
    registrations: createPostgresIdempotencyStore(db, 'register'),
    rateLimiter: createPostgresRateLimiter(db),
    sessions: createPostgresSessionStore(db),
    loginFailures: createPostgresLoginFailureCounter(db),
    audit: createPostgresAuditTrail(db),
    phoneCodes: createPostgresPhoneCodeStore(db),
    contactMoves: createPostgresContactMoves(db),
    totp: createPostgresTotpStore(db),
    mfaChallenges: createPostgresMfaChallengeStore(db),
    passkeys: createPostgresPasskeyStore(db),
  };
  return { storage, description, onOutboxInsert: (listener) => db.listen(OUTBOX_INSERT_CHANNEL, listener), close: () => db.close() };
}
