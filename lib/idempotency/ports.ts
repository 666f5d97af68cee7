/** A response worth replaying: status and body, nothing else (no patient data beyond the 201 body). */
export interface StoredResponse {
  statusCode: number;
  body: string;
}

export type IdempotencyStart =
  | { state: 'started' }
  | { state: 'completed'; response: StoredResponse }
  | { state: 'in-progress' }
  | { state: 'mismatch' };

/** Keys are remembered this long; an in-progress claim is taken over after LOCK_MS (its request crashed). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;
export const IDEMPOTENCY_LOCK_MS = 60_000;

export interface IdempotencyStore {
  /**
   * Records the key as in progress for `owner` unless it exists; an expired key, or an in-progress one
   * of the same request whose lock ran out, is taken over.
   */
  begin(key: string, fingerprint: string, owner: string, now: Date): Promise<IdempotencyStart>;
  /** Stores the answer; a no-op if another request took the key over meanwhile. */
  complete(key: string, owner: string, response: StoredResponse, now: Date): Promise<void>;
  /** Forgets an in-progress key after a failure, so the client's retry runs again; only the owner's. */
  abandon(key: string, owner: string): Promise<void>;
}
