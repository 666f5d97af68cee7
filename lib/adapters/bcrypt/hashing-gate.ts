import { HashingBusyError } from '../../errors.js';
import type { HashingAdmission } from '../../patient/ports.js';

/**
 * At most `capacity` requests hold a place in the hashing pool at once: the one that would be one more
 * is refused before it does anything. Counting requests, not hashes, decides admission at the door:
 * an admitted registration's hash still has its place when it gets there, after the pre-check reads.
 */
export function createHashingGate(capacity: number): HashingAdmission & { readonly admitted: number } {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error('the hashing gate needs room for at least one request');
  let admitted = 0;
  return {
    get admitted() {
      return admitted;
    },
    admit() {
      if (admitted >= capacity) throw new HashingBusyError();
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
