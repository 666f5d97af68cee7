import type { PasskeyCredential } from '../passkey/ports.js';

/** A second factor a patient can hold besides the password (issue 21). */
export type SecondFactorMethod = 'totp' | 'passkey';

/**
 * Which second factors a patient has turned on (an authenticator app confirmed, a passkey
 * registered); empty when the password is the only one. A sign-in asks for one of them, and a
 * step-up asks for AAL2, whenever this is not empty.
 */
export interface SecondFactors {
  methodsOf(patientId: string): Promise<SecondFactorMethod[]>;
  /** The same, with the passkeys it found: POST /login offers them, without listing them twice. */
  heldBy(patientId: string): Promise<HeldFactors>;
}

export interface HeldFactors {
  methods: SecondFactorMethod[];
  passkeys: PasskeyCredential[];
}
