import { ServiceUnavailableError } from '../../errors.js';

/**
 * A wrapper for database calls that turns transient failures (as `isTransient` judges the driver's
 * errors) into a 503 for the client, as callAws does for DynamoDB; every other error passes through.
 */
export function unavailableOnTransient(dependency: string, isTransient: (error: unknown) => boolean) {
  return async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (isTransient(error)) throw new ServiceUnavailableError(dependency);
      throw error;
    }
  };
}
