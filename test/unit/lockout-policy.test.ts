import { describe, expect, it } from 'vitest';
import { ACCOUNT_SCHEDULE, attemptSubjects, createLoginAttempts, LINK_PASSWORD_TRIES, LINK_SCHEDULE, lockSeconds, MAX_LOCK_SECONDS } from '../../lib/auth/lockout-policy.js';
import { createInMemoryLoginFailureCounter } from '../support/fakes/index.js';

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

describe('the link schedule', () => {
  it(`lets ${LINK_PASSWORD_TRIES} wrong passwords through, then the link is spent for longer than it lives (24 h)`, () => {
    for (let failures = 1; failures < LINK_PASSWORD_TRIES; failures++) expect(LINK_SCHEDULE.lockSeconds(failures)).toBe(0);
    expect(LINK_SCHEDULE.lockSeconds(LINK_PASSWORD_TRIES)).toBeGreaterThan(24 * 3600);
    expect(LINK_SCHEDULE.maxCounted).toBe(LINK_PASSWORD_TRIES);
  });

  it('every schedule locks at its cap, so a reservation there still changes what the next one sees', () => {
    for (const schedule of [ACCOUNT_SCHEDULE, LINK_SCHEDULE]) expect(schedule.lockSeconds(schedule.maxCounted)).toBeGreaterThan(0);
  });
});

describe('a refused reservation', () => {
  it('tells the wait in whole seconds, rounded up, and never 0', async () => {
    const counter = createInMemoryLoginFailureCounter();
    const attempts = createLoginAttempts(counter);
    for (let i = 0; i < 5; i++) await attempts.reserve('account:p', T0); // the 5th locks for 1 s
    await attempts.reserve('account:p', at(1_000)); // the 6th for 2 s
    expect((await attempts.reserve('account:p', at(3_000))).locked).toBe(false); // the 7th for 4 s
    expect(await attempts.reserve('account:p', at(3_000))).toEqual({ locked: true, retryAfterSeconds: 4 });
    expect(await attempts.reserve('account:p', at(5_500))).toEqual({ locked: true, retryAfterSeconds: 2 });
    expect(await attempts.reserve('account:p', at(6_999))).toEqual({ locked: true, retryAfterSeconds: 1 });
    expect((await attempts.reserve('account:p', at(7_000))).locked).toBe(false);
  });

  it('recordSuccess ends the account\'s lock, and only the account\'s', async () => {
    const counter = createInMemoryLoginFailureCounter();
    const attempts = createLoginAttempts(counter);
    for (let i = 0; i < 5; i++) await attempts.reserve(attemptSubjects.account('p'), T0);
    for (let i = 0; i < 5; i++) await attempts.reserve(attemptSubjects.device('p', 'd'), T0);
    await attempts.recordSuccess('p');
    expect((await attempts.reserve(attemptSubjects.account('p'), T0)).locked).toBe(false);
    expect((await attempts.reserve(attemptSubjects.device('p', 'd'), T0)).locked).toBe(true);
  });
});
