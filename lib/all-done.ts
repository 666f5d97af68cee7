/**
 * Awaits every promise, then throws the first rejection (if any); otherwise their values, as
 * `Promise.all` would. Independent store writes run side by side this way, yet none is left running
 * after the answer (a Lambda instance freezes once it has answered) and no failure is swallowed.
 */
export async function allDone<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
