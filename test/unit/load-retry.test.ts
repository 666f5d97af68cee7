import { describe, expect, it } from 'vitest';
import { MAX_503_RETRIES, retryWait } from '../load/runner.js';

/**
 * The load runner's client behaviour after a 503 with Retry-After (issue 23 item 3): never sooner
 * than the server asked, backing off, spread at random, bounded.
 */
describe('the wait before retrying a 503', () => {
  it('is never shorter than Retry-After, doubles per retry made, and is spread by up to half again', () => {
    for (let i = 0; i < 200; i++) {
      const first = retryWait(1000, 0);
      expect(first).toBeGreaterThanOrEqual(1000);
      expect(first).toBeLessThanOrEqual(1500);
      const third = retryWait(1000, 2);
      expect(third).toBeGreaterThanOrEqual(4000);
      expect(third).toBeLessThanOrEqual(6000);
    }
    // Spread: 200 draws are not all one value (users refused together do not come back together).
    expect(new Set(Array.from({ length: 200 }, () => retryWait(1000, 0))).size).toBeGreaterThan(100);
  });

  it('is bounded: at most 5 s (plus jitter) a wait, at most MAX_503_RETRIES retries', () => {
    for (let retried = 0; retried < MAX_503_RETRIES; retried++) expect(retryWait(60_000, retried)).toBeLessThanOrEqual(7500);
    expect(MAX_503_RETRIES).toBe(5);
  });
});
