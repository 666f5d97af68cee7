import type { RateLimiter } from '../../rate-limit/ports.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

/** Fixed windows, one counter row each, counted and checked in a single upsert (as the DynamoDB limiter). */
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
  };
}
