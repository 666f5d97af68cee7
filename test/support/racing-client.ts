import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The same client, except that a command `holds` matches first awaits `meanwhile()`: a concurrent
 * write lands exactly between a store's reads and the transaction it judged on them.
 */
export function clientWithInterlude(
  db: DynamoDBDocumentClient,
  holds: (command: unknown) => boolean,
  meanwhile: () => Promise<void>,
): DynamoDBDocumentClient {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (...args: Parameters<DynamoDBDocumentClient['send']>) => {
        if (holds(args[0])) await meanwhile();
        return target.send(...args);
      };
    },
  });
}
