import { IDEMPOTENCY_LOCK_MS as LOCK_MS, IDEMPOTENCY_RETENTION_MS as RETENTION_MS, type IdempotencyStart, type IdempotencyStore } from '../../idempotency/ports.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';


export function createPostgresIdempotencyStore(db: SqlExecutor, scope: string): IdempotencyStore {
  return {
    begin: (key, fingerprint, owner, now) =>
      callPostgres(() =>
        db.transaction(async (tx): Promise<IdempotencyStart> => {
          const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
          // New key, expired key, or an abandoned (lock ran out) attempt of the same request: ours.
          const { rows: started } = await tx.query(
            `INSERT INTO idempotency_keys AS k (scope, key, fingerprint, status, locked_until, expires_at, owner)
             VALUES ($1, $2, $3, 'in_progress', $5, $6, $7)
             ON CONFLICT (scope, key) DO UPDATE
               SET fingerprint = $3, status = 'in_progress', locked_until = $5, expires_at = $6, status_code = NULL, response_body = NULL, owner = $7
               WHERE k.expires_at <= $4 OR (k.status = 'in_progress' AND k.locked_until < $4 AND k.fingerprint = $3)
             RETURNING 1`,
            [scope, key, fingerprint, at(0), at(LOCK_MS), at(RETENTION_MS), owner],
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

    async complete(key, owner, response) {
      await callPostgres(() =>
        db.query(
          `UPDATE idempotency_keys SET status = 'completed', status_code = $3, response_body = $4, locked_until = NULL
            WHERE scope = $1 AND key = $2 AND owner = $5 AND status = 'in_progress'`,
          [scope, key, response.statusCode, response.body, owner],
        ),
      );
    },

    async abandon(key, owner) {
      await callPostgres(() =>
        db.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'in_progress' AND owner = $3`, [scope, key, owner]),
      );
    },
  };
}
