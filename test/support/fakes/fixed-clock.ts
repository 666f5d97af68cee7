import type { Clock } from '../../../lib/patient/ports.js';

/** A clock that stands still until the test moves it. */
export interface FixedClock extends Clock {
  set(at: Date): void;
  advance(ms: number): void;
}

export function createFixedClock(start = new Date('2025-06-01T12:00:00.000Z')): FixedClock {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    set: (at) => void (now = at.getTime()),
    advance: (ms) => void (now += ms),
  };
}
