import { describe, expect, it } from 'vitest';
import { allDone } from '../../lib/all-done.js';

/** The helper sign-in runs its independent writes with (issue 23 item 1): none is left running after the answer. */
describe('allDone', () => {
  it('gives the values in order, like Promise.all', async () => {
    await expect(allDone<[number, string]>([Promise.resolve(1), Promise.resolve('two')])).resolves.toEqual([1, 'two']);
  });

  it('throws the first failure only once every other promise has settled', async () => {
    let finished = false;
    let release!: () => void;
    const slow = new Promise<void>((resolve) => { release = resolve; }).then(() => { finished = true; });
    const outcome = allDone<[void, void]>([Promise.reject(new Error('store down')), slow]).then(() => 'resolved', (e: Error) => e.message);
    // The failure is already known, yet nothing is answered while the other write still runs.
    const early = await Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
    expect(early).toBe('still waiting');
    release();
    await expect(outcome).resolves.toBe('store down');
    expect(finished).toBe(true);
  });
});
