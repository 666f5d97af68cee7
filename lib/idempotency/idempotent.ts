import { randomUUID } from 'node:crypto';
import { IdempotencyInProgressError, IdempotencyKeyReusedError, InvalidIdempotencyKeyError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import type { Clock } from '../patient/ports.js';
import type { IdempotencyStore, StoredResponse } from './ports.js';

const KEY_FORMAT = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The Idempotency-Key header, if sent; a malformed one is refused rather than ignored. */
export function idempotencyKeyFrom(headers: Record<string, string | undefined> | undefined): string | undefined {
  const key = headers?.['idempotency-key'];
  if (key === undefined) return undefined;
  if (!KEY_FORMAT.test(key)) throw new InvalidIdempotencyKeyError();
  return key;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * What makes two requests "the same" for a key: a keyed digest of the body. Keyed, because the body
 * holds fields that are stored only encrypted (medical history, insurance): a bare hash stored next
 * to the fields kept in clear could be tested against guesses of them. Passwords are left out all
 * the same: nothing derived from a password is stored but its bcrypt hash.
 */
export async function requestFingerprint(body: object, digests: IdentifierDigests): Promise<string> {
  const { password: _p, confirm_password: _c, ...rest } = body as Record<string, unknown>;
  return digests.current('request', JSON.stringify(canonical(rest)));
}

/**
 * Runs `handle` at most once per key: a retry with the same key and body gets the stored answer
 * (as `replay` presents it: the HTTP layer marks it Idempotent-Replayed), the same key with another
 * body is refused, and a concurrent duplicate is told to retry. Only successful answers are stored;
 * after a failure the key is freed. This layer knows no HTTP: the answer is a status and a body.
 */
export async function idempotent<R extends StoredResponse>(
  store: IdempotencyStore,
  clock: Clock,
  key: string,
  fingerprint: string,
  handle: () => Promise<R>,
  replay: (stored: StoredResponse) => R,
): Promise<R> {
  const owner = randomUUID();
  const start = await store.begin(key, fingerprint, owner, clock.now());
  switch (start.state) {
    case 'completed':
      logger.info('idempotent replay');
      return replay(start.response);
    case 'mismatch':
      throw new IdempotencyKeyReusedError();
    case 'in-progress':
      throw new IdempotencyInProgressError();
    case 'started':
      break;
  }
  let response: R;
  try {
    response = await handle();
  } catch (error) {
    await store.abandon(key, owner).catch(() => undefined);
    throw error;
  }
  // The work is done: failing to remember it must not turn a success into an error for the client.
  await store.complete(key, owner, { statusCode: response.statusCode, body: response.body }, clock.now()).catch(() => {
    logger.error('idempotency record could not be completed; a retry within 60 s gets 409');
  });
  return response;
}
