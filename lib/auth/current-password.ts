import { SignInLockedError, WrongCurrentPasswordError } from '../errors.js';
import type { PatientCredentials } from '../patient/ports.js';
import { ACR_AAL2 } from './assurance.js';
import { attemptSubjects } from './lockout-policy.js';
import { checkPassword, type PasswordCheckDeps } from './password-check.js';
import type { VerifiedAccessToken } from './ports.js';

/**
 * A signed-in patient's current password, confirming a change of the account (password change,
 * closing): checked under the caller's session lock schedule, never the account's (a stolen access
 * token must not become a way to guess the password, and a stranger's guesses at sign-in must not
 * stop the owner). No re-hash: what follows is conditioned on the hash the password matched, and a
 * re-hash would move it. A refusal is audited (`audit`) and thrown; returns when the password is right.
 */
export async function confirmCurrentPassword(
  caller: VerifiedAccessToken,
  patient: PatientCredentials,
  password: string,
  deps: PasswordCheckDeps,
  audit: (outcome: 'failure', reason: string) => Promise<void>,
): Promise<void> {
  // Codes to remove the authenticator app count on this session's subject too, and only a session at
  // AAL2 (a factor held) can send them: there, a right password must not clear the count (see Throttle).
  const throttle = { subject: attemptSubjects.session(caller.sessionId ?? `token:${caller.tokenId}`), keepCount: caller.acr === ACR_AAL2 };
  const check = await checkPassword(patient, password, { ...deps, hasher: { ...deps.hasher, needsRehash: () => false } }, throttle);
  if (check.outcome === 'locked') {
    await audit('failure', 'locked');
    throw new SignInLockedError(check.retryAfterSeconds);
  }
  if (check.outcome === 'wrong') {
    await audit('failure', 'wrong_password');
    throw new WrongCurrentPasswordError();
  }
}
