export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** The key should not be patient data in clear (hash it, or use an id). */
export interface RateLimiter {
  /**
   * Counts hits per key in fixed clock windows (one conditional counter each): cheap at any limit,
   * but a client can get up to twice the limit across a window boundary. For quotas and budgets.
   */
  hit(key: string, rule: RateLimit, now: Date): Promise<RateDecision>;
  /**
   * A sliding window: admits a hit only while fewer than `limit` admitted hits fall in the
   * `windowSeconds` before `now`, so no stretch of that length ever holds more than the limit. The
   * store keeps the admitted hits' times (at most `limit`, so for small limits) and decides under a
   * conditional write or row lock; a refused hit is not recorded. For limits that guard a secret.
   */
  slide(key: string, rule: RateLimit, now: Date): Promise<RateDecision>;
}
