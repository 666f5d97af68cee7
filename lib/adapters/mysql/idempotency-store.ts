import { IDEMPOTENCY_LOCK_MS as LOCK_MS, IDEMPOTENCY_RETENTION_MS as RETENTION_MS, type IdempotencyStart, type IdempotencyStore } from '../../idempotency/ports.js';
import { callMysql, DUPLICATE_KEY } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';

interface KeyRow {
  fingerprint: string;
  status: 'in_progress' | 'completed';
  locked_until: Date | null;
  status_code: number | null;
  response_body: string | null;
  expires_at: Date;
}

/**
 * Idempotency keys on MySQL. PostgreSQL decides in one INSERT … ON CONFLICT DO UPDATE … WHERE; MySQL's
 * ON DUPLICATE KEY UPDATE has no WHERE, so the key's row is locked (SELECT … FOR UPDATE) and judged
 * here. Two first requests both find no row: one INSERT waits for the other's and fails with 1062
 * once it commits, and that request is then "in progress".
 */
export function createMysqlIdempotencyStore(db: MysqlExecutor, scope: string): IdempotencyStore {
  return {
    begin: (key, fingerprint, owner, now) =>
      callMysql(() =>
        db.transaction(async (tx): Promise<IdempotencyStart> => {
          const at = (ms: number) => new Date(now.getTime() + ms);
          const ours = { scope, key, fingerprint, owner, lockedUntil: at(LOCK_MS), expiresAt: at(RETENTION_MS) };
          const [existing] = await tx.query<KeyRow>(
            'SELECT fingerprint, status, locked_until, status_code, response_body, expires_at FROM idempotency_keys WHERE scope = :scope AND `key` = :key FOR UPDATE',
            { scope, key },
          );
          if (!existing) {
            try {
              await tx.run(
                `INSERT INTO idempotency_keys (scope, \`key\`, fingerprint, status, locked_until, expires_at, owner)
                 VALUES (:scope, :key, :fingerprint, 'in_progress', :lockedUntil, :expiresAt, :owner)`,
                ours,
              );
              return { state: 'started' };
            } catch (error) {
              if ((error as { errno?: number }).errno === DUPLICATE_KEY) return { state: 'in-progress' };
              throw error;
            }
          }
          // An expired key, or an abandoned (lock ran out) attempt of the same request: ours.
          const expired = existing.expires_at.getTime() <= now.getTime();
          const abandoned = existing.status === 'in_progress' && existing.locked_until !== null
            && existing.locked_until.getTime() < now.getTime() && existing.fingerprint === fingerprint;
          if (expired || abandoned) {
            await tx.run(
              `UPDATE idempotency_keys SET fingerprint = :fingerprint, status = 'in_progress', locked_until = :lockedUntil, expires_at = :expiresAt,
                      status_code = NULL, response_body = NULL, owner = :owner WHERE scope = :scope AND \`key\` = :key`,
              ours,
            );
            return { state: 'started' };
          }
          if (existing.fingerprint !== fingerprint) return { state: 'mismatch' };
          if (existing.status === 'completed') return { state: 'completed', response: { statusCode: existing.status_code!, body: existing.response_body! } };
          return { state: 'in-progress' };
        }),
      ),

    async complete(key, owner, response) {
      await callMysql(() =>
        db.run(
          `UPDATE idempotency_keys SET status = 'completed', status_code = :statusCode, response_body = :body, locked_until = NULL
            WHERE scope = :scope AND \`key\` = :key AND owner = :owner AND status = 'in_progress'`,
          { scope, key, owner, statusCode: response.statusCode, body: response.body },
        ),
      );
    },

    async abandon(key, owner) {
      await callMysql(() =>
        db.run("DELETE FROM idempotency_keys WHERE scope = :scope AND `key` = :key AND status = 'in_progress' AND owner = :owner", { scope, key, owner }),
      );
    },
  };
}
