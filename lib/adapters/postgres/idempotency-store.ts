import type { IdempotencyStart, IdempotencyStore } from '../../idempotency/ports.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

/** As in the DynamoDB store: keys are remembered 24 hours; an in-progress claim is taken over after 60 s. */
const RETENTION_MS = 24 * 3600_000;
const LOCK_MS = 60_000;

export function createPostgresIdempotencyStore(db: SqlExecutor, scope: string): IdempotencyStore {
  return {
    begin: (key, fingerprint, now) =>
      callPostgres(() =>
        db.transaction(async (tx): Promise<IdempotencyStart> => {
          const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
          // New key, expired key, or an abandoned (lock ran out) attempt of the same request: ours.
          const { rows: started } = await tx.query(
            `INSERT INTO idempotency_keys AS k (scope, key, fingerprint, status, locked_until, expires_at)
             VALUES ($1, $2, $3, 'in_progress', $5, $6)
             ON CONFLICT (scope, key) DO UPDATE
               SET fingerprint = $3, status = 'in_progress', locked_until = $5, expires_at = $6, status_code = NULL, response_body = NULL
               WHERE k.expires_at <= $4 OR (k.status = 'in_progress' AND k.locked_until < $4 AND k.fingerprint = $3)
             RETURNING 1`,
            [scope, key, fingerprint, at(0), at(LOCK_MS), at(RETENTION_MS)],
          );
          if (started.length > 0) return { state: 'started' };
          const { rows: [existing] } = await tx.query<{ fingerprint: string; status: string; status_code: number; response_body: string }>(
            'SELECT fingerprint, status, status_code, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
            [scope, key],
          );
          if (!existing) return { state: 'in-progress' };
          if (existing.fingerprint !== fingerprint) return { state: 'mismatch' };
          if (existing.status === 'completed') return { state: 'completed', response: { statusCode: existing.status_code, body: existing.response_body } };
          return { state: 'in-progress' };
        }),
      ),

    async complete(key, response) {
      await callPostgres(() =>
        db.query(
          `UPDATE idempotency_keys SET status = 'completed', status_code = $3, response_body = $4, locked_until = NULL
            WHERE scope = $1 AND key = $2`,
          [scope, key, response.statusCode, response.body],
        ),
      );
    },

    async abandon(key) {
      await callPostgres(() => db.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'in_progress'`, [scope, key]));
    },
  };
}
