import type { RateLimiter } from '../../rate-limit/ports.js';
import { slideWindow } from '../../rate-limit/sliding-window.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

/**
 * Fixed windows, one counter row each, counted and checked in a single upsert (as the DynamoDB
 * limiter); sliding windows decided under the key's row lock (migration 011).
 */
export function createPostgresRateLimiter(db: SqlExecutor): RateLimiter {
  return {
    async hit(key, { limit, windowSeconds }, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const windowEnd = windowStart + windowSeconds;
      const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
      const { rows } = await callPostgres(() =>
        db.query(
          `INSERT INTO rate_limit_windows AS w (key, window_start, hits, expires_at) VALUES ($1, $2, 1, $3)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = w.hits + 1 WHERE w.hits < $4
           RETURNING hits`,
          [key, iso(windowStart), iso(windowEnd + windowSeconds), limit],
        ),
      );
      return rows.length > 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(windowEnd - nowSeconds, 1) };
    },

    slide: (key, rule, now) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          // The row exists before it is locked, so two first hits queue on one lock instead of both inserting.
          await tx.query(`INSERT INTO rate_limit_slides (key, hits, expires_at) VALUES ($1, '[]', $2) ON CONFLICT (key) DO NOTHING`, [key, now.toISOString()]);
          const { rows: [row] } = await tx.query<{ hits: string }>('SELECT hits FROM rate_limit_slides WHERE key = $1 FOR UPDATE', [key]);
          const { decision, hits, expiresAtMs } = slideWindow(JSON.parse(row!.hits) as number[], rule, now.getTime());
          if (decision.allowed) {
            await tx.query('UPDATE rate_limit_slides SET hits = $2, expires_at = $3 WHERE key = $1', [key, JSON.stringify(hits), new Date(expiresAtMs).toISOString()]);
          }
          return decision;
        })),
  };
}
