import { createHash, randomBytes } from 'node:crypto';
import { InvalidMfaTokenError, SignInLockedError, SignInRefusedError, WrongSecondFactorError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { PatientRepository } from '../patient/ports.js';
import type { LoginMfaRequest, PasskeyAssertionAnswer } from '../patient/registration-schema.js';
import { checkPasskeySecondStep, passkeySecondStepOptions, type PasskeySecondStepDeps } from '../passkey/second-step.js';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { PASSWORD_AND_PASSKEY_SIGN_IN, TWO_FACTOR_SIGN_IN } from './assurance.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import { issueDeviceToken } from './device-token.js';
import { checkSecondFactor, proofOf, underLock, type SecondFactorCheckDeps, type SecondFactorProof } from './second-factor-check.js';
import type { HeldFactors, SecondFactorMethod } from './second-factor-ports.js';
import { SessionRefusedError, startSession, type SessionDeps, type SessionTokens } from './session-issuer.js';
import type { MfaChallengeStore } from './totp-ports.js';

/** How long the second step of a sign-in may wait after the password (the issue: 5 minutes). */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;

/** What POST /login answers instead of a session when the patient holds a second factor. */
export interface MfaRequiredAnswer {
  mfa_required: true;
  mfa_token: string;
  methods: SecondFactorMethod[];
  /**
   * With `passkey` among the methods: the WebAuthn request options for the second step, limited to the
   * patient's own passkeys, whose challenge is this mfa_token's (lib/passkey/second-step.ts).
   */
  passkey_options?: PublicKeyCredentialRequestOptionsJSON;
}

export interface MfaChallengeDeps extends PasskeySecondStepDeps {
  mfaChallenges: MfaChallengeStore;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The first step done (the password): a single-use token for the second, stored only as its digest. */
export async function issueMfaChallenge(
  patient: { id: string; passwordHash: string }, lock: { subject: string; deviceId?: string }, { methods, passkeys }: HeldFactors,
  context: RequestContext, deps: MfaChallengeDeps & { clock: { now(): Date } },
): Promise<MfaRequiredAnswer> {
  const token = randomBytes(32).toString('base64url');
  await deps.mfaChallenges.create({
    tokenHash: sha256(token), patientId: patient.id, subject: lock.subject, passwordTag: sha256(patient.passwordHash),
    expiresAt: new Date(deps.clock.now().getTime() + MFA_TOKEN_TTL_MS),
    ...(lock.deviceId && { deviceId: lock.deviceId }), ...(context.device && { device: context.device }),
  });
  return {
    mfa_required: true, mfa_token: token, methods,
    ...(passkeys.length > 0 && { passkey_options: await passkeySecondStepOptions(passkeys, token, deps) }),
  };
}

export interface MfaSignInDeps extends SecondFactorCheckDeps, SessionDeps, MfaChallengeDeps {
  repository: Pick<PatientRepository, 'getPatient'>;
  auditor: AuditRecorder;
}

/** A passkey's assertion over the mfa_token's challenge (the options POST /login answered). */
export type PasskeyProof = { response: PasskeyAssertionAnswer };

export type MfaSignInRequest = { mfa_token: string } & (SecondFactorProof | PasskeyProof);

/** A validated body (exactly one proof, lib/patient/registration-schema.ts) as the request it is. */
export function mfaSignInRequestOf(body: LoginMfaRequest): MfaSignInRequest {
  return body.response ? { mfa_token: body.mfa_token, response: body.response } : { mfa_token: body.mfa_token, ...proofOf(body) };
}

/**
 * POST /login/mfa: the second step. The code (or recovery code), or a passkey's assertion over the
 * challenge POST /login answered, is checked under the same lock as the password was (a wrong one
 * counts there); then the store spends the mfa_token in a conditional write, so of two completions of
 * one token exactly one gets a session (and with it the passkey challenge, derived from the token, is
 * spent too). The session states amr [pwd, otp] or [pwd, hwk, user], both AAL2; the device token is
 * issued only now, so a password alone never earns a device its own lock counter for guessing codes.
 */
export async function completeMfaSignIn(request: MfaSignInRequest, context: RequestContext, deps: MfaSignInDeps): Promise<SessionTokens & { device_token: string }> {
  const tokenHash = sha256(request.mfa_token);
  const challenge = await deps.mfaChallenges.read(tokenHash, deps.clock.now());
  const fail = async (reason: string, patientId?: string) => {
    logger.info('sign-in', { outcome: 'failure', step: 'mfa', reason, ...(patientId && { patientId }) });
    await deps.auditor.record(context, { action: 'sign_in', outcome: 'failure', reason, ...(patientId && { patientId }) });
  };
  if (!challenge) {
    await fail('mfa_token');
    throw new InvalidMfaTokenError();
  }
  const patient = await deps.repository.getPatient(challenge.patientId);
  // A passkey proves itself (its credential must still be the patient's); a code needs the app still on.
  const factor = 'response' in request ? undefined : await deps.totp.read(challenge.patientId);
  // A reset or change of the password since, or the app removed: the sign-in must start again.
  if (!patient || sha256(patient.password_hash) !== challenge.passwordTag || (!('response' in request) && !factor?.active)) {
    await fail('mfa_token', challenge.patientId);
    throw new InvalidMfaTokenError();
  }
  if (!patient.is_active) {
    await fail('inactive', patient.id);
    throw new SignInRefusedError('inactive');
  }
  let refusal: string | undefined;
  const check = async (): Promise<'code' | 'recovery_code' | 'passkey' | undefined> => {
    if (!('response' in request)) return checkSecondFactor(patient.id, factor!, request, challenge.subject, deps);
    return underLock(challenge.subject, deps, async () => {
      const checked = await checkPasskeySecondStep(patient.id, request.mfa_token, request.response, deps, deps.clock.now());
      if (checked.ok) return 'passkey' as const;
      refusal = checked.reason;
      return undefined;
    });
  };
  const accepted = await check().catch(async (error: unknown) => {
    if (error instanceof SignInLockedError) await fail('locked', patient.id);
    throw error;
  });
  if (!accepted) {
    if (refusal === 'counter_not_forward') {
      // A counter that did not move forward may be a cloned authenticator: logged as a warning (once:
      // the sign-in failure alarm counts this line too), as POST /login/passkey does.
      logger.warn('sign-in', { outcome: 'failure', step: 'mfa', reason: 'passkey_counter_not_forward', patientId: patient.id });
      await deps.auditor.record(context, { action: 'sign_in', outcome: 'failure', reason: 'passkey_counter_not_forward', patientId: patient.id });
    } else {
      await fail(refusal ? `passkey_${refusal}` : 'wrong_code', patient.id);
    }
    throw new WrongSecondFactorError(refusal ? 'passkey' : 'code');
  }
  if (!(await deps.mfaChallenges.spend(tokenHash, deps.clock.now()))) {
    await fail('mfa_token', patient.id);
    throw new InvalidMfaTokenError();
  }
  const amr = accepted === 'passkey' ? PASSWORD_AND_PASSKEY_SIGN_IN : TWO_FACTOR_SIGN_IN;
  // Under the hash the mfa_token was bound to (checked above): a reset or change committed since that
  // check refuses the session in the store, answered as a stale mfa_token (issue 19 item 3).
  const { tokens, sessionId } = await startSession(patient.id, deps, challenge.device, { amr, authTime: deps.clock.now() }, undefined, { passwordHash: patient.password_hash })
    .catch(async (error: unknown) => {
      if (!(error instanceof SessionRefusedError)) throw error;
      await fail('password_changed', patient.id);
      throw new InvalidMfaTokenError();
    });
  const device_token = await issueDeviceToken(patient, deps.identifiers, challenge.deviceId);
  logger.info('sign-in', { outcome: 'success', step: 'mfa', proof: accepted, patientId: patient.id });
  await deps.auditor.record(context, { action: 'sign_in', outcome: 'success', patientId: patient.id, sessionId, reason: accepted === 'code' ? 'totp' : accepted });
  if (accepted === 'recovery_code') await deps.auditor.record(context, { action: 'recovery_code_use', outcome: 'success', patientId: patient.id, sessionId });
  return { ...tokens, device_token };
}
