import type { RateLimiter } from '../../../lib/rate-limit/ports.js';
import { slideWindow } from '../../../lib/rate-limit/sliding-window.js';

/** Fixed windows and sliding windows counted in memory, by the RateLimiter contract. */
export function createInMemoryRateLimiter(): RateLimiter {
  const hits = new Map<string, number>();
  const slides = new Map<string, number[]>();
  return {
    async hit(key, { limit, windowSeconds }, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const counter = `${key}#${windowStart}`;
      const count = hits.get(counter) ?? 0;
      if (count >= limit) return { allowed: false, retryAfterSeconds: Math.max(windowStart + windowSeconds - nowSeconds, 1) };
      hits.set(counter, count + 1);
      return { allowed: true };
    },
    // Single-threaded: the read, the decision and the write happen with no await between them.
    async slide(key, rule, now) {
      const { decision, hits: next } = slideWindow(slides.get(key) ?? [], rule, now.getTime());
      slides.set(key, next);
      return decision;
    },
  };
}
