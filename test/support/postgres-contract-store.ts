import { createPostgresContactMoves } from '../../lib/adapters/postgres/contact-moves.js';
import { createPostgresAuditTrail } from '../../lib/adapters/postgres/audit-trail.js';
import { migrate } from '../../lib/adapters/postgres/migrate.js';
import { fromPatientRow, SELECT_PATIENT } from '../../lib/adapters/postgres/patient-row.js';
import { createPostgresIdempotencyStore } from '../../lib/adapters/postgres/idempotency-store.js';
import { createPostgresOutboxStore } from '../../lib/adapters/postgres/outbox-store.js';
import { createPostgresPatientRepository } from '../../lib/adapters/postgres/patient-repository.js';
import { createPostgresPhoneCodeStore } from '../../lib/adapters/postgres/phone-code-store.js';
import { createPostgresPasskeyStore } from '../../lib/adapters/postgres/passkey-store.js';
import { createPostgresLoginFailureCounter } from '../../lib/adapters/postgres/login-failure-counter.js';
import { createPostgresRateLimiter } from '../../lib/adapters/postgres/rate-limiter.js';
import { createPostgresMfaChallengeStore, createPostgresTotpStore } from '../../lib/adapters/postgres/second-factor-store.js';
import { createPostgresSessionStore } from '../../lib/adapters/postgres/session-store.js';
import type { SqlExecutor } from '../../lib/adapters/postgres/sql-executor.js';
import type { ContractStore } from '../contract/patient-repository.contract.js';
import type { LapseCleanupDatabase } from '../contract/sql-lapse-cleanup.js';

/** The contract's store on any PostgreSQL engine: migrated schema, patients read back with SELECT. */
export async function postgresContractStore(db: SqlExecutor, stopEngine: () => Promise<void> = async () => {}): Promise<ContractStore> {
  await migrate(db);
  return {
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
    async outboxText(id) {
      const { rows } = await db.query<{ sms_text: string | null }>('SELECT sms_text FROM outbox_mails WHERE id = $1', [id]);
      return rows[0]?.sms_text ?? undefined;
    },
    async readPatient(id) {
      const { rows } = await db.query(SELECT_PATIENT, [id]);
      return rows[0] && fromPatientRow(rows[0]);
    },
    async outboxRaw(id) {
      const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM outbox_mails WHERE id = $1', [id]);
      return rows[0] && JSON.stringify(rows[0]);
    },
    async outboxAddress(id) {
      const { rows } = await db.query<{ recipient: string | null }>('SELECT recipient FROM outbox_mails WHERE id = $1', [id]);
      return rows[0]?.recipient ?? undefined;
    },
    async cleanup() {
      await db.close();
      await stopEngine();
    },
  };
}

/** The lapse-cleanup suite's database on any PostgreSQL engine. */
export async function postgresLapseDatabase(db: SqlExecutor, stopEngine?: () => Promise<void>): Promise<LapseCleanupDatabase> {
  const store = await postgresContractStore(db, stopEngine);
  return {
    storage: store,
    count: async (from, patientId) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n ${from.replaceAll(':id', '$1')}`, [patientId])).rows[0]!.n),
    close: () => store.cleanup!(),
  };
}
