export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** Counts hits per key in fixed windows; the key should not be patient data in clear (hash it). */
export interface RateLimiter {
  hit(key: string, rule: RateLimit, now: Date): Promise<RateDecision>;
}
