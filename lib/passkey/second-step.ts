import { createHash } from 'node:crypto';
import { generateAuthenticationOptions, type AuthenticatorTransportFuture, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { PasskeyAssertionAnswer } from '../patient/registration-schema.js';
import { checkAssertion, type AssertionCheck, type AssertionDeps } from './assertion.js';
import type { PasskeyCredential } from './ports.js';
import { CHALLENGE_TTL_MS } from './webauthn.js';

export type PasskeySecondStepDeps = AssertionDeps;

/**
 * The challenge of a passkey as the second step of POST /login: derived from the mfa_token (a
 * domain-separated SHA-256 of it), not stored apart. It is therefore exactly as single-use and
 * short-lived as the mfa_token, which the store keeps as a digest and spends in a conditional write
 * (5 minutes, once), and it is bound to that sign-in: an assertion made for one mfa_token checks
 * against no other. Nothing of the token can be read back from it.
 */
export const secondStepChallenge = (mfaToken: string): string =>
  createHash('sha256').update(`passkey-second-step\u0000${mfaToken}`).digest('base64url');

/**
 * The request options POST /login answers with `mfa_required` when the patient holds a passkey:
 * limited to the patient's own credentials (`own`, as the factor check listed them: allowCredentials,
 * shown only after the right password), user verification required, the challenge of this mfa_token.
 */
export async function passkeySecondStepOptions(own: readonly PasskeyCredential[], mfaToken: string, deps: Pick<PasskeySecondStepDeps, 'relyingParty'>): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: deps.relyingParty.rpId,
    // As bytes: a string would be taken as text and encoded again, and the client data would name another value.
    challenge: new Uint8Array(Buffer.from(secondStepChallenge(mfaToken), 'base64url')),
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'required',
    allowCredentials: own.map((passkey) => ({ id: passkey.id, transports: passkey.transports as AuthenticatorTransportFuture[] })),
  });
}

/** POST /login/mfa with a passkey: an assertion over this mfa_token's challenge, by one of the patient's own passkeys. */
export function checkPasskeySecondStep(patientId: string, mfaToken: string, answer: PasskeyAssertionAnswer, deps: AssertionDeps, now: Date): Promise<AssertionCheck> {
  return checkAssertion(answer, secondStepChallenge(mfaToken), deps, now, patientId);
}
