import { randomUUID } from 'node:crypto';
import { generateRegistrationOptions, verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import type { SecondFactors } from '../auth/second-factor-ports.js';
import { InvalidAccessTokenError, PasskeyEnrolmentError, PasskeyLimitError, SignInRefusedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { AccountNoticeMail, Clock, PatientRecord, PatientRepository } from '../patient/ports.js';
import type { PasskeyEnrolRequest } from '../patient/registration-schema.js';
import { MAX_PASSKEYS } from './limits.js';
import { passkeyView, type PasskeyView } from './passkey-view.js';
import type { PasskeyStore } from './ports.js';
import { requirePasskeyStepUp } from './step-up.js';
import { CHALLENGE_TTL_MS, newChallenge, spendChallenge, type RelyingParty } from './webauthn.js';

export interface EnrolPasskeyDeps {
  repository: Pick<PatientRepository, 'getPatient'>;
  passkeys: PasskeyStore;
  relyingParty: RelyingParty;
  /** Whether the patient holds a second factor already (then adding one needs an AAL2 sign-in). */
  secondFactors: SecondFactors;
  auditor: AuditRecorder;
  clock: Clock;
}

/** The name a passkey gets when the patient gives none. */
export const DEFAULT_PASSKEY_NAME = 'Passkey';

/** The caller's own record, active: a closed account adds no factor (its tokens are refused anyway). */
async function activePatient(caller: VerifiedAccessToken, deps: EnrolPasskeyDeps): Promise<PatientRecord> {
  const patient = await deps.repository.getPatient(caller.patientId);
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  if (!patient.is_active) throw new SignInRefusedError('inactive');
  return patient;
}

/**
 * POST /me/passkeys/options: creation options for a new passkey of the caller's, after a recent
 * sign-in. Discoverable (resident key required, so it signs in without an email) and user-verified
 * (the device's PIN or biometric: the passkey alone is then two factors). The challenge is stored
 * for this patient, to be spent by the answer. The user name shown by the authenticator is the
 * email (the patient's own); the user handle is the patient id, never a name.
 */
export async function passkeyCreationOptions(caller: VerifiedAccessToken, deps: EnrolPasskeyDeps): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const now = deps.clock.now();
  await requirePasskeyStepUp(caller, deps);
  const patient = await activePatient(caller, deps);
  const existing = await deps.passkeys.listFor(patient.id);
  // Told before the ceremony, not after it; the store decides again when the answer comes.
  if (existing.length >= MAX_PASSKEYS) throw new PasskeyLimitError(MAX_PASSKEYS);
  const challenge = newChallenge();
  const options = await generateRegistrationOptions({
    rpName: deps.relyingParty.name,
    rpID: deps.relyingParty.rpId,
    userName: patient.email,
    userDisplayName: patient.email,
    userID: new Uint8Array(Buffer.from(patient.id, 'utf8')),
    // As bytes: a string would be taken as text and encoded again, and the client data would name another value.
    challenge: new Uint8Array(Buffer.from(challenge, 'base64url')),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    // The browser refuses to make a second passkey on an authenticator that holds one of these.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports as never })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    // ES256 and RS256: what platform authenticators and security keys make (EdDSA is not asked for).
    supportedAlgorithmIDs: [-7, -257],
  });
  await deps.passkeys.saveChallenge({ challenge, purpose: 'enrol', patientId: patient.id, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) });
  return options;
}

/**
 * POST /me/passkeys: the browser's answer. Its challenge must be one this patient was given, unspent
 * and unexpired (spending it is the store's conditional delete: a replay finds nothing); the
 * attestation must be for this stage's RP id and origin, with user verification. Then the passkey
 * and the notice mail are stored in one write. Every refusal is audited with its reason.
 */
export async function enrolPasskey(caller: VerifiedAccessToken, request: PasskeyEnrolRequest, context: RequestContext, deps: EnrolPasskeyDeps): Promise<PasskeyView> {
  const now = deps.clock.now();
  await requirePasskeyStepUp(caller, deps);
  const patient = await activePatient(caller, deps);
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'passkey_add', outcome, patientId: patient.id, ...(caller.sessionId && { sessionId: caller.sessionId }), ...(reason && { reason }) });
  const refuse = async (reason: 'challenge' | 'invalid' | 'duplicate' | 'limit') => {
    logger.info('passkey enrol', { outcome: 'failure', reason, patientId: patient.id });
    await audit('failure', reason);
    return reason === 'limit' ? new PasskeyLimitError(MAX_PASSKEYS) : new PasskeyEnrolmentError(reason);
  };

  const challenge = await spendChallenge(deps.passkeys, request.response, 'enrol', now, patient.id);
  if (!challenge) throw await refuse('challenge');
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response: request.response as RegistrationResponseJSON,
      expectedChallenge: challenge.challenge,
      expectedOrigin: deps.relyingParty.origin,
      expectedRPID: deps.relyingParty.rpId,
      requireUserVerification: true,
    });
  } catch {
    // The library's message may quote the client data: it is not logged.
    throw await refuse('invalid');
  }
  if (!verification.verified || !verification.registrationInfo) throw await refuse('invalid');
  const { credential, aaguid } = verification.registrationInfo;
  const passkey = {
    id: credential.id,
    patientId: patient.id,
    publicKey: Buffer.from(credential.publicKey).toString('base64url'),
    counter: credential.counter,
    transports: credential.transports ?? [],
    aaguid,
    name: request.name ?? DEFAULT_PASSKEY_NAME,
    createdAt: now,
  };
  const added = await deps.passkeys.add(passkey, passkeyNotice(patient, 'passkey_added', now), MAX_PASSKEYS);
  if (added !== 'added') throw await refuse(added === 'full' ? 'limit' : 'duplicate');
  logger.info('passkey enrol', { outcome: 'success', patientId: patient.id });
  await audit('success');
  return passkeyView(passkey);
}

export function passkeyNotice(patient: Pick<PatientRecord, 'id' | 'email'>, notice: 'passkey_added' | 'passkey_removed', now: Date): AccountNoticeMail {
  return { kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice, createdAt: now.toISOString() };
}
