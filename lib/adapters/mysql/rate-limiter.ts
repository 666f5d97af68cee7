import type { RateLimiter } from '../../rate-limit/ports.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';

/**
 * Fixed windows, one counter row each (as the DynamoDB and PostgreSQL limiters). The upsert counts and
 * holds the row lock until COMMIT, so the SELECT after it reads this hit's own count. The count stops
 * at limit + 1: a refused hit changes nothing.
 */
export function createMysqlRateLimiter(db: MysqlExecutor): RateLimiter {
  return {
    async hit(key, { limit, windowSeconds }, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const windowEnd = windowStart + windowSeconds;
      const params = { key, windowStart: new Date(windowStart * 1000), expiresAt: new Date((windowEnd + windowSeconds) * 1000), cap: limit + 1 };
      const hits = await callMysql(() =>
        db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO rate_limit_windows (\`key\`, window_start, hits, expires_at) VALUES (:key, :windowStart, 1, :expiresAt)
             ON DUPLICATE KEY UPDATE hits = LEAST(hits + 1, :cap)`,
            params,
          );
          const [row] = await tx.query<{ hits: number }>('SELECT hits FROM rate_limit_windows WHERE `key` = :key AND window_start = :windowStart', params);
          return row!.hits;
        }),
      );
      return hits <= limit ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(windowEnd - nowSeconds, 1) };
    },
  };
}
