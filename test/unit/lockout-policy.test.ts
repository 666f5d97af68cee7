import { describe, expect, it } from 'vitest';
import { lockDecision, lockSeconds, MAX_LOCK_SECONDS } from '../../lib/auth/lockout-policy.js';

const T0 = new Date('2025-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('lock length after consecutive failures', () => {
  it.each([
    [0, 0], [1, 0], [4, 0], // up to the 4th failure: no lock
    [5, 1], [6, 2], [7, 4], [8, 8], [14, 512], // from the 5th: 1 s, doubling
    [15, MAX_LOCK_SECONDS], [16, 900], [100, 900], // capped at 15 min
    [101, 900], [10_000, 900], // past the counted cap: still 15 min, never longer, never permanent
  ])('%i failures lock for %i s', (failures, seconds) => {
    expect(lockSeconds(failures)).toBe(seconds);
  });
});

describe('lock decision', () => {
  it('is unlocked without failures or below the threshold', () => {
    expect(lockDecision({ failures: 0 }, T0)).toEqual({ locked: false });
    expect(lockDecision({ failures: 4, lastFailureAt: T0 }, T0)).toEqual({ locked: false });
  });

  it('locks until the last failure plus the lock length, rounding the wait up to whole seconds', () => {
    const count = { failures: 7, lastFailureAt: T0 }; // 4 s
    expect(lockDecision(count, T0)).toEqual({ locked: true, retryAfterSeconds: 4 });
    expect(lockDecision(count, at(2_500))).toEqual({ locked: true, retryAfterSeconds: 2 });
    expect(lockDecision(count, at(3_999))).toEqual({ locked: true, retryAfterSeconds: 1 });
    expect(lockDecision(count, at(4_000))).toEqual({ locked: false });
  });

  it('ends every lock at most 15 minutes after the latest failure, whatever the count', () => {
    const count = { failures: 100, lastFailureAt: T0 };
    expect(lockDecision(count, at(0))).toEqual({ locked: true, retryAfterSeconds: 900 });
    expect(lockDecision(count, at(900_000))).toEqual({ locked: false });
  });
});
