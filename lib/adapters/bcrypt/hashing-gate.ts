import { HashingBusyError } from '../../errors.js';
import type { HashingAdmission } from '../../patient/ports.js';

export interface HashingGateOptions {
  /** Hashes the pool runs at once. */
  slots: number;
  /** How long an admitted request may wait for its hash to end, at most (queue included). */
  budgetMs: number;
  /** What a hash is taken to cost until one has been measured. */
  initialHashMs: number;
}

/** Weight of the newest hash in the running estimate: it follows a machine that slows down within a few hashes. */
const NEWEST_WEIGHT = 0.25;

/**
 * Admission to the hashing pool, decided at the door: a request is admitted while its hash would end
 * within the budget, i.e. while ⌈(admitted + 1) / slots⌉ hashes at the measured cost fit in it (a
 * loaded machine hashes slower and admits fewer); beyond that it is refused before it does anything.
 * As many requests as there are slots are always admitted: an idle pool never refuses. Counting
 * requests, not hashes: an admitted registration's hash still has its place when it gets there,
 * after the pre-check reads.
 */
export function createHashingGate({ slots, budgetMs, initialHashMs }: HashingGateOptions): HashingAdmission & {
  readonly admitted: number;
  /** Feeds one measured hash (or compare) duration into the estimate. */
  observe(hashMs: number): void;
} {
  if (!Number.isInteger(slots) || slots < 1) throw new Error('the hashing gate needs at least one slot');
  let admitted = 0;
  let hashMs = initialHashMs;
  return {
    get admitted() {
      return admitted;
    },
    observe(ms) {
      hashMs += (ms - hashMs) * NEWEST_WEIGHT;
    },
    admit() {
      if (admitted >= slots && Math.ceil((admitted + 1) / slots) * hashMs > budgetMs) throw new HashingBusyError();
      admitted++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        admitted--;
      };
    },
  };
}

/** Lambda: one request per instance, so its one hash never waits for another; nothing to refuse. */
export const alwaysAdmit: HashingAdmission = { admit: () => () => undefined };
