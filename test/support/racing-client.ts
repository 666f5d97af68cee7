/**
 * The same client, except that a command `holds` matches first awaits `meanwhile()`: a concurrent
 * write lands exactly between a store's (or a tool's) reads and the write it judged on them.
 */
export function clientWithInterlude<C extends { send: (...args: any[]) => Promise<any> }>(
  db: C,
  holds: (command: unknown) => boolean,
  meanwhile: () => Promise<void>,
): C {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (...args: Parameters<C['send']>) => {
        if (holds(args[0])) await meanwhile();
        return target.send(...args);
      };
    },
  });
}
