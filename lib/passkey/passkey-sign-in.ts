import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import { SessionRefusedError, type SessionDeps, type SessionTokens } from '../auth/session-issuer.js';
import { PasskeySignInError, SignInRefusedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { PatientRepository } from '../patient/ports.js';
import type { PasskeySignInRequest } from '../patient/registration-schema.js';
import type { PasskeyStore } from './ports.js';
import { startPasskeySession } from './passkey-session.js';
import { checkAssertion } from './assertion.js';
import { CHALLENGE_TTL_MS, newChallenge, spendChallenge, type RelyingParty } from './webauthn.js';

export interface PasskeySignInDeps extends SessionDeps {
  repository: Pick<PatientRepository, 'getPatient'>;
  passkeys: PasskeyStore;
  relyingParty: RelyingParty;
  auditor: AuditRecorder;
}

/**
 * POST /login/passkey/options: request options for any discoverable passkey of this stage (no
 * allow-list: the browser offers the patient's own, so nobody learns who has one), with user
 * verification required. The challenge is stored, unbound to a patient, until its answer spends it.
 */
export async function passkeySignInOptions(deps: Pick<PasskeySignInDeps, 'passkeys' | 'relyingParty' | 'clock'>): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const now = deps.clock.now();
  const challenge = newChallenge();
  const options = await generateAuthenticationOptions({
    rpID: deps.relyingParty.rpId,
    // As bytes: a string would be taken as text and encoded again, and the client data would name another value.
    challenge: new Uint8Array(Buffer.from(challenge, 'base64url')),
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'required',
    allowCredentials: [],
  });
  await deps.passkeys.saveChallenge({ challenge, purpose: 'sign_in', expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) });
  return options;
}

/**
 * POST /login/passkey: a passkey alone signs in (user-verified, phishing-resistant: AAL2). Refused,
 * with one 401 whatever the cause, for a challenge that is unknown, spent, expired or not a sign-in's;
 * an unknown credential; a user handle that is not the credential's patient; a signature, RP id,
 * origin or user verification that does not check; and a counter that did not move forward (a
 * cloned authenticator, audited as such). The store moves the counter with a conditional write, so
 * of two assertions with one counter only one signs in. Then, as POST /login after the password, an
 * unverified or closed account is refused (403). No failure here counts toward any lock: only the
 * holder of the passkey can make one pass, and a stranger's failures must not stop the owner.
 */
export async function signInWithPasskey(request: PasskeySignInRequest, context: RequestContext, deps: PasskeySignInDeps): Promise<SessionTokens> {
  const now = deps.clock.now();
  const answer = request.response;
  const fail = async (reason: string, patientId?: string) => {
    // The message POST /login logs, so the sign-in failure alarm counts these too.
    logger.info('sign-in', { outcome: 'failure', reason: `passkey_${reason}`, ...(patientId && { patientId }) });
    await deps.auditor.record(context, { action: 'passkey_sign_in', outcome: 'failure', reason, ...(patientId && { patientId }) });
    return new PasskeySignInError(reason);
  };

  const challenge = await spendChallenge(deps.passkeys, answer, 'sign_in', now);
  if (!challenge) throw await fail('challenge');
  const checked = await checkAssertion(answer, challenge.challenge, deps, now);
  if (!checked.ok && checked.reason === 'counter_not_forward') {
    logger.warn('sign-in', { outcome: 'failure', reason: 'passkey_counter_not_forward', patientId: checked.patientId });
    await deps.auditor.record(context, { action: 'passkey_sign_in', outcome: 'failure', reason: 'counter_not_forward', ...(checked.patientId && { patientId: checked.patientId }) });
    throw new PasskeySignInError('counter_not_forward');
  }
  if (!checked.ok) throw await fail(checked.reason, checked.patientId);
  const patientId = checked.passkey.patientId;

  const patient = await deps.repository.getPatient(patientId);
  if (!patient) throw await fail('unknown_patient', patientId);
  if (!patient.email_verified || !patient.is_active) {
    const reason = patient.email_verified ? 'inactive' : 'unverified';
    await fail(reason, patientId);
    throw new SignInRefusedError(reason);
  }
  // The store starts it only while the account is active: a close committed since the read above
  // refuses it, answered as that read would have (issue 19 item 3).
  const { tokens, sessionId } = await startPasskeySession(patientId, deps, context.device, now).catch(async (error: unknown) => {
    if (!(error instanceof SessionRefusedError)) throw error;
    await fail('inactive', patientId);
    throw new SignInRefusedError('inactive');
  });
  logger.info('sign-in', { outcome: 'success', reason: 'passkey', patientId });
  await deps.auditor.record(context, { action: 'passkey_sign_in', outcome: 'success', patientId, sessionId });
  return tokens;
}
