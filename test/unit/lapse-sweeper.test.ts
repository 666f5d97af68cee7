import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLapseSweeper, sweepLapsedRegistrations } from '../../lib/local/lapse-sweeper.js';
import { captureOutput } from '../support/capture-output.js';
import { createInMemoryStorage } from '../support/fakes/index.js';
import { mailFor, patientFixture, tokenFor } from '../contract/patient-repository.contract.js';

const output = captureOutput();
const DAY = 24 * 3600_000;

async function storageWithLapsed(count: number) {
  const storage = createInMemoryStorage();
  const patients = Array.from({ length: count }, () => patientFixture({ lapses_at: new Date(Date.now() - 60_000).toISOString() }));
  for (const p of patients) await storage.repository.createPatient(p, tokenFor(p, new Date(Date.now() + DAY)), mailFor(p));
  return { storage, patients };
}

describe('the PostgreSQL lapse sweeper of npm start', () => {
  afterEach(() => {
    vi.useRealTimers();
    output.reset();
  });

  it('removes the lapsed registrations and logs only how many', async () => {
    const { storage, patients } = await storageWithLapsed(2);
    expect(await sweepLapsedRegistrations(storage.repository, new Date())).toBe(2);
    expect(storage.repository.patients()).toEqual([]);
    const lines = output.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ level: 'INFO', message: 'lapsed registrations removed', removed: 2 })]);
    for (const p of patients) for (const value of [p.id, p.email, p.phone_number]) expect(output.text()).not.toContain(value);
  });

  it('logs nothing when nothing lapsed', async () => {
    const { storage } = await storageWithLapsed(0);
    expect(await sweepLapsedRegistrations(storage.repository, new Date())).toBe(0);
    expect(output.text()).toBe('');
  });

  it('runs every minute until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { storage } = await storageWithLapsed(1);
    const removeLapsed = vi.spyOn(storage.repository, 'removeLapsedRegistrations');
    const sweeper = startLapseSweeper(storage.repository);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(removeLapsed).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(removeLapsed).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(removeLapsed).toHaveBeenCalledTimes(2);
    sweeper.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(removeLapsed).toHaveBeenCalledTimes(2);
  });

  it('a failed run is logged without detail of the data and the next one tries again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { storage } = await storageWithLapsed(1);
    const removeLapsed = vi.spyOn(storage.repository, 'removeLapsedRegistrations').mockRejectedValueOnce(new Error('connection reset'));
    const sweeper = startLapseSweeper(storage.repository);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(output.text()).toContain('lapsed registration cleanup failed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(removeLapsed).toHaveBeenCalledTimes(2);
    expect(storage.repository.patients()).toEqual([]);
    sweeper.stop();
  });
});
