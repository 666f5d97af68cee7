import type { PasskeyCredential } from './ports.js';

/** A passkey as the patient's list shows it: never the public key or the counter. */
export interface PasskeyView {
  /** The credential id (base64url): what DELETE /me/passkeys/{id} takes. */
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  transports: string[];
  /** The authenticator model's AAGUID, for a client that names models. */
  aaguid: string;
}

export const passkeyView = (passkey: PasskeyCredential): PasskeyView => ({
  id: passkey.id,
  name: passkey.name,
  created_at: passkey.createdAt.toISOString(),
  last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
  transports: passkey.transports,
  aaguid: passkey.aaguid,
});
