import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { PasskeyAssertionAnswer } from '../patient/registration-schema.js';
import type { PasskeyCredential, PasskeyStore } from './ports.js';
import { userHandleOf, type RelyingParty } from './webauthn.js';

export interface AssertionDeps {
  passkeys: Pick<PasskeyStore, 'find' | 'advanceCounter'>;
  relyingParty: RelyingParty;
}

/** Why an assertion was refused; `not_owner` is a credential of another patient than the one expected. */
export type AssertionFailure = 'unknown_passkey' | 'not_owner' | 'user_handle' | 'invalid_assertion' | 'counter_not_forward';

export type AssertionCheck = { ok: true; passkey: PasskeyCredential } | { ok: false; reason: AssertionFailure; patientId?: string };

/**
 * Checks a WebAuthn assertion whose challenge the caller has already made single-use (spent from the
 * store, or bound to a single-use mfa_token): the credential is known (and, with `owner`, that
 * patient's), the user handle names its patient, the signature, RP id, origin and user verification
 * check, and the store moves the counter forward in a conditional write (WebAuthn §6.1.1: a counter
 * that does not grow, unless both are 0, signals a clone), so of two assertions with one counter only
 * one passes. The one implementation behind the passkey sign-in and the passkey as a second step.
 */
export async function checkAssertion(
  answer: PasskeyAssertionAnswer, expectedChallenge: string, deps: AssertionDeps, now: Date, owner?: string,
): Promise<AssertionCheck> {
  const passkey = await deps.passkeys.find(answer.id);
  if (!passkey) return { ok: false, reason: 'unknown_passkey' };
  const patientId = passkey.patientId;
  // Another patient's credential is refused before its signature is even looked at (allowCredentials is only a hint to the browser).
  if (owner !== undefined && patientId !== owner) return { ok: false, reason: 'not_owner', patientId: owner };
  // A discoverable credential returns the user handle it was made with: it must name the same patient.
  if (answer.response.userHandle !== undefined && answer.response.userHandle !== userHandleOf(patientId)) return { ok: false, reason: 'user_handle', patientId };
  let newCounter: number;
  try {
    const verification = await verifyAuthenticationResponse({
      response: answer as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: deps.relyingParty.origin,
      expectedRPID: deps.relyingParty.rpId,
      // The counter rule is the store's (below), so the library is given no counter to judge.
      credential: { id: passkey.id, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')), counter: 0 },
      requireUserVerification: true,
    });
    if (!verification.verified) throw new Error('not verified');
    newCounter = verification.authenticationInfo.newCounter;
  } catch {
    return { ok: false, reason: 'invalid_assertion', patientId };
  }
  if ((await deps.passkeys.advanceCounter(passkey, newCounter, now)) !== 'advanced') return { ok: false, reason: 'counter_not_forward', patientId };
  return { ok: true, passkey };
}
