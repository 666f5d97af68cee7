/** After this many failed sends a mail stops being retried and is left as 'failed' for an operator. */
export const MAX_SEND_ATTEMPTS = 8;

/** When a mail that failed `attempts` times is due again: 30 s, then 1, 2, 4 … minutes, at most 1 h apart. */
export function nextAttemptAt(now: Date, attempts: number): Date {
  return new Date(now.getTime() + Math.min(30_000 * 2 ** Math.max(attempts - 1, 0), 3_600_000));
}
