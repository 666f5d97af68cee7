import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { ServiceUnavailableError } from '../../errors.js';

/** Reasons DynamoDB cancels a transaction with that are over once the other writer is done. */
const PASSING_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

export interface ConflictRetryOptions {
  /** Attempts in all, then a 503 (the client may try again); never a 500. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether a write lost only to timing: a transaction cancelled for a conflict with another one on
 * the same item (or item-level throttling), with no condition failing, or a single-item write that
 * met a transaction under way. PostgreSQL and MySQL queue such writers on the row lock; DynamoDB
 * refuses one of them instead.
 */
export function isPassingConflict(error: unknown): boolean {
  if (error instanceof TransactionConflictException) return true;
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  return codes.some((c) => PASSING_REASONS.has(c)) && !codes.includes('ConditionalCheckFailed');
}

/**
 * Runs `write` again after a passing conflict, with jittered exponential backoff (25 ms, 50 ms, …
 * times a random factor, so two patients' sign-ins do not collide again in step), at most `attempts`
 * times; then a 503.
 */
export async function retryingConflicts<T>(write: () => Promise<T>, { attempts = 6, sleep = wait }: ConflictRetryOptions = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isPassingConflict(error)) throw error;
      if (attempt >= attempts) throw new ServiceUnavailableError('dynamodb');
      await sleep(Math.random() * 25 * 2 ** attempt);
    }
  }
}
