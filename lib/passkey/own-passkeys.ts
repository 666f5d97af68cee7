import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import type { SecondFactors } from '../auth/second-factor-ports.js';
import type { SessionStore } from '../auth/session-ports.js';
import { InvalidAccessTokenError, UnknownPasskeyError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { Clock, PatientRepository } from '../patient/ports.js';
import { passkeyNotice } from './enrol-passkey.js';
import { passkeyView, type PasskeyView } from './passkey-view.js';
import type { PasskeyStore } from './ports.js';
import { requirePasskeyStepUp } from './step-up.js';

export interface OwnPasskeysDeps {
  repository: Pick<PatientRepository, 'getPatient'>;
  passkeys: PasskeyStore;
  sessions: Pick<SessionStore, 'endOthers'>;
  secondFactors: SecondFactors;
  auditor: AuditRecorder;
  clock: Clock;
}

/** GET /me/passkeys: the caller's passkeys, oldest first. */
export async function listPasskeys(caller: VerifiedAccessToken, deps: Pick<OwnPasskeysDeps, 'passkeys'>): Promise<PasskeyView[]> {
  return (await deps.passkeys.listFor(caller.patientId)).map(passkeyView);
}

/**
 * DELETE /me/passkeys/{id}: removes one of the caller's passkeys after a recent sign-in; every other
 * session ends, since one of them may be the session that passkey signed in, on a device the patient
 * no longer trusts. An unknown id and another patient's are one 404, and end nothing.
 *
 * The other sessions end BEFORE the removal: ending them and removing the passkey are two writes, and
 * in this order a failure between them leaves the passkey listed, so the patient's retry runs both
 * again (ending sessions twice is harmless). In the other order a failed second write would leave the
 * sessions alive and the retry a 404. The store still removes only the caller's own, in the write
 * itself (with the notice mail).
 */
export async function removePasskey(caller: VerifiedAccessToken, credentialId: string, context: RequestContext, deps: OwnPasskeysDeps): Promise<void> {
  const now = deps.clock.now();
  await requirePasskeyStepUp(caller, deps);
  // authenticate() already refuses a token without `sid`; without one, "the others" would be all of them.
  if (!caller.sessionId) throw new InvalidAccessTokenError('no_session');
  const patient = await deps.repository.getPatient(caller.patientId);
  if (!patient) throw new InvalidAccessTokenError('unknown_patient');
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    deps.auditor.record(context, { action: 'passkey_remove', outcome, patientId: patient.id, sessionId: caller.sessionId, ...(reason && { reason }) });
  const unknown = async () => {
    logger.info('passkey remove', { outcome: 'failure', reason: 'unknown_passkey', patientId: patient.id });
    await audit('failure', 'unknown_passkey');
    return new UnknownPasskeyError();
  };
  if (!(await deps.passkeys.listFor(patient.id)).some((passkey) => passkey.id === credentialId)) throw await unknown();
  await deps.sessions.endOthers(patient.id, caller.sessionId, now);
  // False only if a parallel request removed it first: that one queued the notice.
  if (!(await deps.passkeys.remove(patient.id, credentialId, passkeyNotice(patient, 'passkey_removed', now)))) throw await unknown();
  logger.info('passkey remove', { outcome: 'success', patientId: patient.id });
  await audit('success');
}
