import { randomUUID } from 'node:crypto';
import { allDone } from '../all-done.js';
import { InvalidCredentialsError, SignInLockedError, SignInRefusedError } from '../errors.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import { logger } from '../logging/logger.js';
import { normalizeEmail } from '../patient/normalize.js';
import type { AuditRecorder, RequestContext } from './audit-recorder.js';
import { issueDeviceToken, trustedDeviceOf } from './device-token.js';
import { attemptSubjects } from './lockout-policy.js';
import { issueMfaChallenge, type MfaChallengeDeps, type MfaRequiredAnswer } from './mfa-sign-in.js';
import { checkPassword, type PasswordCheckDeps } from './password-check.js';
import { PASSWORD_SIGN_IN } from './assurance.js';
import type { SecondFactors } from './second-factor-ports.js';
import { SessionRefusedError, startSession, type SessionDeps, type SessionTokens } from './session-issuer.js';

export interface SignInDeps extends PasswordCheckDeps, SessionDeps, MfaChallengeDeps {
  /** A patient who holds one gets an mfa_token instead of a session (issue 21). */
  secondFactors: SecondFactors;
  auditor: AuditRecorder;
  /** Keys the counter of an unknown email and signs device tokens. */
  identifiers: IdentifierDigests;
  /**
   * A hash of the configured cost that no password matches: an unknown email is compared against it,
   * so it costs the same bcrypt work as a wrong password and the two cannot be told apart by timing.
   */
  dummyHash: string;
}

export interface SignInRequest {
  email: string;
  password: string;
  /** The device token an earlier sign-in on this client returned, if any. */
  device_token?: string | null;
}

/** The spec's login fields, and the device token this client presents next time. */
export type SignInAnswer = SessionTokens & { device_token: string };

type FailureReason = 'unknown_email' | 'wrong_password' | 'locked' | 'unverified' | 'inactive';

/**
 * POST /login: the email's password, then tokens — only for a verified, active account. The attempt
 * is reserved before bcrypt on the device's own counter when the client presents a valid device
 * token, otherwise on the account's: a stranger's guesses lock the account for untrusted clients only.
 * A patient with a second factor gets `mfa_required` and an mfa_token instead (POST /login/mfa).
 */
export async function signIn(request: SignInRequest, context: RequestContext, deps: SignInDeps): Promise<SignInAnswer | MfaRequiredAnswer> {
  const email = normalizeEmail(request.email);
  const patient = await deps.repository.findCredentials(email);
  const fail = async (reason: FailureReason, patientId?: string) => {
    logger.info('sign-in', { outcome: 'failure', reason, ...(patientId && { patientId }) });
    await deps.auditor.record(context, { action: 'sign_in', outcome: 'failure', reason, ...(patientId && { patientId }) });
  };

  if (!patient) {
    // The same store work as a known email's wrong password (a reservation, then the failure), and
    // the same lock after as many failures: neither the time nor a 429 tells whether the email is known.
    const subject = attemptSubjects.unknownEmail(await deps.identifiers.current('email', email));
    const attempt = await deps.attempts.reserve(subject, deps.clock.now());
    if (attempt.locked) {
      await fail('locked');
      throw new SignInLockedError(attempt.retryAfterSeconds);
    }
    await deps.hasher.compare(request.password, deps.dummyHash);
    await attempt.failed(deps.clock.now());
    await fail('unknown_email');
    throw new InvalidCredentialsError();
  }
  const deviceId = await trustedDeviceOf(request.device_token, patient, deps.identifiers);
  const subject = deviceId ? attemptSubjects.device(patient.id, deviceId) : attemptSubjects.account(patient.id);
  const refusal = !patient.email_verified ? 'unverified' : !patient.is_active ? 'inactive' : undefined;
  // A right password of an account that may sign in: the session, the device token and the audit
  // entry do not depend on each other (nor on the count's reset), so they are written side by side.
  const signedIn = async (passwordHash: string, clearCount: () => Promise<void>): Promise<SignInAnswer | MfaRequiredAnswer> => {
    // A second factor held: no session yet, only a single-use token for the second step (which counts
    // wrong codes on this same lock). The count is NOT cleared here: only the second step's success
    // clears it, or a known password would reset it before every few code guesses. A password reset
    // changes nothing here: the factor stays.
    const held = await deps.secondFactors.heldBy(patient.id);
    if (held.methods.length > 0) {
      logger.info('sign-in', { outcome: 'mfa_required', patientId: patient.id });
      return issueMfaChallenge({ id: patient.id, passwordHash }, { subject, ...(deviceId && { deviceId }) }, held, context, deps);
    }
    const sessionId = randomUUID();
    // The success entry is written alongside the session, not after it: if the session's write fails,
    // a second entry says so before the error goes on, so the trail never ends on a session never stored.
    // The store starts it only while passwordHash is still current: a reset or change that committed
    // while bcrypt ran refuses it, answered as a wrong password (issue 19 item 3).
    const session = startSession(patient.id, deps, context.device, { amr: PASSWORD_SIGN_IN, authTime: deps.clock.now() }, sessionId, { passwordHash }).catch(async (error: unknown) => {
      const refused = error instanceof SessionRefusedError;
      const reason = refused ? 'password_changed' : 'session_not_started';
      // A stale credential logs the line every refused sign-in logs (the sign-in failure alarm counts
      // it); a store that failed is an outage, logged where the error is answered.
      if (refused) logger.info('sign-in', { outcome: 'failure', reason, patientId: patient.id });
      await deps.auditor.record(context, { action: 'sign_in', outcome: 'failure', reason, patientId: patient.id, sessionId }).catch(() => undefined);
      throw refused ? new InvalidCredentialsError() : error;
    });
    const [{ tokens }, device_token] = await allDone<[{ tokens: SessionTokens }, string, void, void]>([
      session,
      // The same device keeps its id (and its counter); a re-hash binds the token to the new hash.
      issueDeviceToken({ id: patient.id, password_hash: passwordHash }, deps.identifiers, deviceId),
      deps.auditor.record(context, { action: 'sign_in', outcome: 'success', patientId: patient.id, sessionId }),
      clearCount(),
    ]);
    logger.info('sign-in', { outcome: 'success', patientId: patient.id });
    return { ...tokens, device_token };
  };
  const check = await checkPassword(patient, request.password, deps, { subject }, refusal ? undefined : signedIn);
  if (check.outcome === 'locked') {
    await fail('locked', patient.id);
    throw new SignInLockedError(check.retryAfterSeconds);
  }
  if (check.outcome === 'wrong') {
    await fail('wrong_password', patient.id);
    throw new InvalidCredentialsError();
  }
  // Only after the password: whoever learns these already knows it.
  if (refusal) {
    await fail(refusal, patient.id);
    throw new SignInRefusedError(refusal);
  }
  return check.onCorrect;
}
