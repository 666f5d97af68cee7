import type { RateLimiter } from '../../rate-limit/ports.js';
import { slideWindow } from '../../rate-limit/sliding-window.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';

/**
 * Fixed windows, one counter row each (as the DynamoDB and PostgreSQL limiters). The upsert counts and
 * holds the row lock until COMMIT, so the SELECT after it reads this hit's own count. The count stops
 * at limit + 1: a refused hit changes nothing. Sliding windows are decided under the key's row lock
 * (migration 002).
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

    slide: (key, rule, now) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          // The upsert takes the row's lock (creating the row first if needed), held until COMMIT.
          await tx.run("INSERT INTO rate_limit_slides (`key`, hits, expires_at) VALUES (:key, '[]', :now) ON DUPLICATE KEY UPDATE `key` = `key`", { key, now });
          const [row] = await tx.query<{ hits: string }>('SELECT hits FROM rate_limit_slides WHERE `key` = :key FOR UPDATE', { key });
          const { decision, hits, expiresAtMs } = slideWindow(JSON.parse(row!.hits) as number[], rule, now.getTime());
          if (decision.allowed) {
            await tx.run('UPDATE rate_limit_slides SET hits = :hits, expires_at = :expiresAt WHERE `key` = :key', { key, hits: JSON.stringify(hits), expiresAt: new Date(expiresAtMs) });
          }
          return decision;
        })),
  };
}
