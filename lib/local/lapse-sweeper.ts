import { describeError, logger } from '../logging/logger.js';
import type { PatientRepository } from '../patient/ports.js';

/** How often `npm start` on PostgreSQL removes lapsed registrations. */
export const LAPSE_SWEEP_INTERVAL_MS = 60_000;

/**
 * Removes the registrations that lapsed unverified, logging only how many (never who). Reads
 * already treat them as absent; this frees the rows and everything hanging off them.
 */
export async function sweepLapsedRegistrations(repository: PatientRepository, now: Date): Promise<number> {
  const removed = await repository.removeLapsedRegistrations(now);
  if (removed > 0) logger.info('lapsed registrations removed', { removed });
  return removed;
}

/**
 * The periodic cleanup PostgreSQL needs under `npm start`. DynamoDB needs none: TTL deletes a lapsed
 * registration's items (DynamoDB Local never does, but every read treats them as absent anyway).
 */
export function startLapseSweeper(
  repository: PatientRepository,
  { intervalMs = LAPSE_SWEEP_INTERVAL_MS, now = () => new Date() }: { intervalMs?: number; now?: () => Date } = {},
): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepLapsedRegistrations(repository, now())
      .catch((error: unknown) => logger.warn('lapsed registration cleanup failed; the next run tries again', describeError(error)))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
