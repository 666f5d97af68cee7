import { ServiceUnavailableError } from '../errors.js';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
]);

/**
 * Whether a failed AWS call is worth retrying later: throttling, a server-side fault, or no answer
 * at all (network, timeout). Client faults such as AccessDenied or a missing key are our bugs: 500.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (THROTTLING.has(e.name) || e.$retryable) return true;
  if (e.$fault === 'server') return true;
  // No HTTP status at all means the request never got an answer (refused connection, reset, timeout).
  return e.$metadata?.httpStatusCode === undefined && (e.name === 'TimeoutError' || typeof e.code === 'string' || e.name === 'AbortError');
}

/** Runs an AWS call and turns transient failures into a 503 for the client. */
export async function callAws<T>(dependency: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransientAwsError(error)) throw new ServiceUnavailableError(dependency);
    throw error;
  }
}
