/**
 * How a password is compared with the common-password list: case does not matter, and digits or
 * symbols stuck to either end do not hide a common word ("Password123!" is "password").
 */
export function passwordCandidates(password: string): string[] {
  const lower = password.toLowerCase();
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  return core === lower || core === '' ? [lower] : [lower, core];
}

/** Whether a list entry could ever equal one of the candidates of a password that passes the composition rules. */
export function isReachableEntry(entry: string): boolean {
  const isCore = /^\p{L}(.*\p{L})?$/u.test(entry);
  const couldBeWhole = entry.length >= 8 && /\d/.test(entry) && /[^\p{L}\p{N}\s]/u.test(entry);
  return isCore || couldBeWhole;
}
