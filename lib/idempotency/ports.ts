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

export interface IdempotencyStore {
  /** Records the key as in progress unless it exists; an in-progress record whose lock ran out is taken over. */
  begin(key: string, fingerprint: string, now: Date): Promise<IdempotencyStart>;
  complete(key: string, response: StoredResponse, now: Date): Promise<void>;
  /** Forgets an in-progress key after a failure, so the client's retry runs again. */
  abandon(key: string): Promise<void>;
}
