import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../load/runner.js';
import { startLoadStack, type LoadStack } from '../load/stack.js';

/**
 * The load run's smoke variant (issue 23 item 4; `npm run load` is the full one): 5 s of 4 virtual
 * users walking the real flows against `npm start`, then its audit. It checks the audit, not the
 * speed: the suite runs on a loaded 2-core machine.
 */
let stack: LoadStack;
beforeAll(async () => {
  stack = await startLoadStack({ persistent: false });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe('npm run load, smoke', () => {
  it('registers, mails, verifies, signs in, refreshes, reads and signs out; the audit finds no 5xx, no lost mail, no stray reservation', async () => {
    const report = await runLoad(stack.target, { durationSeconds: 5, virtualUsers: 4 });
    expect(report.audit.failures).toEqual([]);
    const register = report.routes.find((r) => r.route === 'POST /register');
    expect(register?.statuses['201']).toBeGreaterThanOrEqual(1);
    expect(report.flowsCompleted).toBeGreaterThanOrEqual(1);
    // The bad requests of the mix got their 4xx.
    expect(Object.keys(report.routes.find((r) => r.route === 'POST /register (invalid)')!.statuses)).toEqual(['422']);
  }, 300_000);
});
