import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkerPasswordHasher } from '../../lib/adapters/bcrypt/worker-password-hasher.js';

// Cost-12 hashes: a shared 2-core machine under load needs more than vitest's default 5 s.
describe('bcrypt on worker threads', { timeout: 60_000 }, () => {
  const hasher = createWorkerPasswordHasher(12, 2);
  afterAll(() => hasher.close());

  it('hashes at cost 12 with fresh salts, off the main thread', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const [a, b] = await Promise.all([hasher.hash('SecurePassword123!'), hasher.hash('SecurePassword123!')]);
    clearInterval(timer);
    expect(bcrypt.getRounds(a)).toBe(12);
    expect(a).not.toBe(b);
    expect(await bcrypt.compare('SecurePassword123!', b)).toBe(true);
    // A free main thread ticks every 5 ms while the workers hash (~60 here); bcryptjs async allows ~3.
    expect(ticks).toBeGreaterThan(20);
  });

  it('refuses a cost below 12', () => {
    expect(() => createWorkerPasswordHasher(11, 1)).toThrow();
  });
});
