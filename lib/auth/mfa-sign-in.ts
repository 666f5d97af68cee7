import { createHash, randomBytes } from 'node:crypto';
import { InvalidMfaTokenError, SignInLockedError, SignInRefusedError, WrongSecondFactorError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { PatientRepository } from '../patient/ports.js';
import { TWO_FACTOR_SIGN_IN } from './assurance.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import { issueDeviceToken } from './device-token.js';
import { checkSecondFactor, type SecondFactorCheckDeps, type SecondFactorProof } from './second-factor-check.js';
import type { SecondFactorMethod } from './second-factor-ports.js';
import { startSession, type SessionDeps, type SessionTokens } from './session-issuer.js';
import type { MfaChallengeStore } from './totp-ports.js';

/** How long the second step of a sign-in may wait after the password (the issue: 5 minutes). */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;

/** What POST /login answers instead of a session when the patient holds a second factor. */
export interface MfaRequiredAnswer {
  mfa_required: true;
  mfa_token: string;
  methods: SecondFactorMethod[];
}

export interface MfaChallengeDeps {
  mfaChallenges: MfaChallengeStore;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The first step done (the password): a single-use token for the second, stored only as its digest. */
export async function issueMfaChallenge(
  patient: { id: string; passwordHash: string }, lock: { subject: string; deviceId?: string }, methods: SecondFactorMethod[],
  context: RequestContext, deps: MfaChallengeDeps & { clock: { now(): Date } },
): Promise<MfaRequiredAnswer> {
  const token = randomBytes(32).toString('base64url');
  await deps.mfaChallenges.create({
    tokenHash: sha256(token), patientId: patient.id, subject: lock.subject, passwordTag: sha256(patient.passwordHash),
    expiresAt: new Date(deps.clock.now().getTime() + MFA_TOKEN_TTL_MS),
    ...(lock.deviceId && { deviceId: lock.deviceId }), ...(context.device && { device: context.device }),
  });
  return { mfa_required: true, mfa_token: token, methods };
}

export interface MfaSignInDeps extends SecondFactorCheckDeps, SessionDeps, MfaChallengeDeps {
  repository: Pick<PatientRepository, 'getPatient'>;
  auditor: AuditRecorder;
}

export type MfaSignInRequest = { mfa_token: string } & SecondFactorProof;

/**
 * POST /login/mfa: the second step. The code (or recovery code) is checked under the same lock as the
 * password was (a wrong one counts there); then the store spends the mfa_token in a conditional write,
 * so of two completions of one token exactly one gets a session. The session states amr [pwd, otp]
 * and AAL2; the device token is issued only now, so a password alone never earns a device its own
 * lock counter for guessing codes.
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
  const factor = await deps.totp.read(challenge.patientId);
  // A reset or change of the password since, or the app removed: the sign-in must start again.
  if (!patient || sha256(patient.password_hash) !== challenge.passwordTag || !factor?.active) {
    await fail('mfa_token', challenge.patientId);
    throw new InvalidMfaTokenError();
  }
  if (!patient.is_active) {
    await fail('inactive', patient.id);
    throw new SignInRefusedError('inactive');
  }
  const accepted = await checkSecondFactor(patient.id, factor, request, challenge.subject, deps).catch(async (error: unknown) => {
    if (error instanceof SignInLockedError) await fail('locked', patient.id);
    throw error;
  });
  if (!accepted) {
    await fail('wrong_code', patient.id);
    throw new WrongSecondFactorError();
  }
  if (!(await deps.mfaChallenges.spend(tokenHash, deps.clock.now()))) {
    await fail('mfa_token', patient.id);
    throw new InvalidMfaTokenError();
  }
  const { tokens, sessionId } = await startSession(patient.id, deps, challenge.device, { amr: TWO_FACTOR_SIGN_IN, authTime: deps.clock.now() });
  const device_token = await issueDeviceToken(patient, deps.identifiers, challenge.deviceId);
  logger.info('sign-in', { outcome: 'success', step: 'mfa', proof: accepted, patientId: patient.id });
  await deps.auditor.record(context, { action: 'sign_in', outcome: 'success', patientId: patient.id, sessionId, reason: accepted === 'recovery_code' ? 'recovery_code' : 'totp' });
  if (accepted === 'recovery_code') await deps.auditor.record(context, { action: 'recovery_code_use', outcome: 'success', patientId: patient.id, sessionId });
  return { ...tokens, device_token };
}
