import { requestFingerprint } from '../idempotency/idempotent.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { normalizeEmail } from './normalize.js';
import type { RegistrationAttempt } from './register-patient.js';
import type { RegistrationRequest } from './registration-schema.js';

/** A registration sent with an Idempotency-Key: the key as the store keeps it, and the request's fingerprint. */
export interface ScopedRegistrationAttempt extends RegistrationAttempt {
  storeKey: string;
}

/**
 * Keys are the client's choice: scoped by a keyed digest of the address, one client's key can never
 * meet another client's request, and the stored key reveals no address.
 */
export async function registrationAttempt(body: RegistrationRequest, key: string, digests: IdentifierDigests): Promise<ScopedRegistrationAttempt> {
  const [scope, fingerprint] = await Promise.all([digests.current('email', normalizeEmail(body.email)), requestFingerprint(body, digests)]);
  return { key, fingerprint, storeKey: `${scope}/${key}` };
}
