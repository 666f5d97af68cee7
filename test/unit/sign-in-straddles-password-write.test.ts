import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../lib/logging/logger.js';
import { authenticate } from '../../lib/auth/authenticate.js';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { completeMfaSignIn } from '../../lib/auth/mfa-sign-in.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { totpCodeAt, totpStepAt, TOTP_PERIOD_SECONDS } from '../../lib/auth/totp.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../../lib/auth/totp-enrolment.js';
import { InvalidCredentialsError, InvalidMfaTokenError, SignInRefusedError, WrongPasswordError } from '../../lib/errors.js';
import { enrolPasskey, passkeyCreationOptions } from '../../lib/passkey/enrol-passkey.js';
import { passkeySignInOptions, signInWithPasskey } from '../../lib/passkey/passkey-sign-in.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { changePassword } from '../../lib/password/change-password.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { closeAccount } from '../../lib/record/close-account.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';

const NEW_PASSWORD = 'N3w-Passphrase!x';

/**
 * The security review's scenario (issue 19 item 3): a sign-in with the old password is held at its
 * bcrypt compare (which takes ~250 ms in production) while a password write commits. The reset,
 * change or close ends only the sessions that exist when it runs; the sign-in's session must not
 * start after it under the password it replaced, or for the account it closed.
 */
async function signInHeldAtCompare(deps: FakeDeps, email: string, password: string) {
  const compare = deps.hasher.compare.bind(deps.hasher);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let entered!: () => void;
  const inCompare = new Promise<void>((resolve) => { entered = resolve; });
  deps.hasher.compare = async (given: string, hash: string) => {
    deps.hasher.compare = compare; // only this sign-in's compare is held
    entered();
    await gate;
    return compare(given, hash);
  };
  const attempt = signIn({ email, password }, CONTEXT, deps).then((answer) => ({ answer }), (error: unknown) => ({ error }));
  await inCompare;
  return { attempt, release };
}

async function noLiveSession(deps: FakeDeps, patientId: string, kept: string[] = []) {
  const live = (await deps.sessions.listLive(patientId, deps.clock.now())).map((s) => s.familyId);
  expect(live.filter((id) => !kept.includes(id))).toEqual([]);
}

const signInFailures = async (deps: FakeDeps, patientId: string) =>
  (await deps.audit.eventsFor(patientId)).filter((e) => e.action === 'sign_in' && e.outcome === 'failure').map((e) => e.reason);

describe('a sign-in whose password check straddles a password write gets no session (issue 19 item 3)', () => {
  it('a reset committed while the old password is compared: the sign-in answers 401, no session lives after the reset', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    await requestPasswordReset(email, deps);
    await deliverDueMails(deps);
    const resetToken = new URL(deps.mailer.resetMails.at(-1)!.resetUrl).searchParams.get('token')!;

    const { attempt, release } = await signInHeldAtCompare(deps, email, password);
    await resetPassword({ token: resetToken, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, {}, deps);
    const info = vi.spyOn(logger, 'info');
    release();
    const outcome = await attempt;
    const lines = info.mock.calls.slice();
    info.mockRestore();

    expect(outcome).toEqual({ error: expect.any(InvalidCredentialsError) });
    await noLiveSession(deps, patientId);
    expect(await signInFailures(deps, patientId)).toContain('password_changed');
    // The failure line the sign-in alarm counts, as for a wrong password.
    expect(lines).toContainEqual(['sign-in', { outcome: 'failure', reason: 'password_changed', patientId }]);
  });

  it('a change committed while the old password is compared: the sign-in answers 401; only the changer\'s session lives', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const own = await startSession(patientId, deps);
    const caller = await deps.tokens.verify(own.tokens.access_token, deps.clock.now());

    const { attempt, release } = await signInHeldAtCompare(deps, email, password);
    await changePassword(caller, { current_password: password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);
    release();

    expect(await attempt).toEqual({ error: expect.any(InvalidCredentialsError) });
    await noLiveSession(deps, patientId, [own.sessionId]);
    expect(await signInFailures(deps, patientId)).toContain('password_changed');
  });

  it('a close committed while the password is compared: the sign-in answers 401, the closed account holds no session', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const own = await startSession(patientId, deps);
    const caller = await deps.tokens.verify(own.tokens.access_token, deps.clock.now());

    const { attempt, release } = await signInHeldAtCompare(deps, email, password);
    await closeAccount(caller, { password }, CONTEXT, deps);
    release();

    expect(await attempt).toEqual({ error: expect.any(InvalidCredentialsError) });
    await noLiveSession(deps, patientId);
  });

  it('without a password write meanwhile, the held sign-in gets its session: access and refresh work', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps);
    const { attempt, release } = await signInHeldAtCompare(deps, email, password);
    release();
    const outcome = await attempt;
    if (!('answer' in outcome) || 'mfa_required' in outcome.answer) throw new Error(`expected a session, got ${JSON.stringify(outcome)}`);
    await expect(authenticate({ authorization: `Bearer ${outcome.answer.access_token}` }, deps)).resolves.toBeDefined();
    await expect(refreshSession(outcome.answer.refresh_token, CONTEXT, deps)).resolves.toBeDefined();
  });
});

/**
 * The other use cases that start a session after checking a credential: a write that commits after
 * their checks but before their session (here, just before the store decides) leaves no session,
 * and each answers as its own stale credential would, never a 5xx.
 */
describe('every session start is refused by the store once the credential checked is stale (issue 19 item 3)', () => {
  /** Runs `write` right before the next startFamily, as a reset committing while the use case was on its way. */
  function justBeforeTheSession(deps: FakeDeps, write: () => Promise<unknown>) {
    const { startFamily } = deps.sessions;
    deps.sessions.startFamily = async (family) => {
      deps.sessions.startFamily = startFamily;
      await write();
      return startFamily(family);
    };
  }
  const replacePassword = (deps: FakeDeps, patientId: string) => async () => {
    const current = deps.repository.readPatient(patientId)!.password_hash;
    expect(await deps.repository.replacePasswordHash(patientId, current, await deps.hasher.hash(NEW_PASSWORD), deps.clock.now())).toBe(true);
  };
  const failures = async (deps: FakeDeps, patientId: string, action: string) =>
    (await deps.audit.eventsFor(patientId)).filter((e) => e.action === action && e.outcome === 'failure').map((e) => e.reason);

  it('the second step of a sign-in (POST /login/mfa): a stale mfa_token (401), audited password_changed, no session', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps);
    const caller = await deps.tokens.verify(patient.session!.access_token, deps.clock.now());
    const enrolment = await beginTotpEnrolment(caller, CONTEXT, deps);
    const code = () => totpCodeAt(enrolment.secret, totpStepAt(deps.clock.now()));
    await confirmTotpEnrolment(caller, { code: code() }, CONTEXT, deps);
    deps.clock.advance(TOTP_PERIOD_SECONDS * 1000);
    const step = await signIn({ email: patient.email, password: patient.password }, CONTEXT, deps);
    if (!('mfa_required' in step)) throw new Error('no second step asked');
    const before = (await deps.sessions.listLive(patient.patientId, deps.clock.now())).map((s) => s.familyId);

    justBeforeTheSession(deps, replacePassword(deps, patient.patientId));
    await expect(completeMfaSignIn({ mfa_token: step.mfa_token, code: code() }, CONTEXT, deps)).rejects.toBeInstanceOf(InvalidMfaTokenError);
    expect((await deps.sessions.listLive(patient.patientId, deps.clock.now())).map((s) => s.familyId)).toEqual(before);
    expect(await failures(deps, patient.patientId, 'sign_in')).toContain('password_changed');
  });

  it('a verification link\'s sign-in: the password is wrong now (401), audited password_changed, no session', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps, { verified: false });
    const token = new URL(deps.mailer.sent.at(-1)!.verifyUrl).searchParams.get('token')!;

    justBeforeTheSession(deps, replacePassword(deps, patient.patientId));
    await expect(verifyEmail({ token, password: patient.password }, CONTEXT, deps)).rejects.toBeInstanceOf(WrongPasswordError);
    await noLiveSession(deps, patient.patientId);
    expect(await failures(deps, patient.patientId, 'email_verification')).toContain('password_changed');
  });

  it('a passkey sign-in of an account closed meanwhile: 403 inactive, as if the close came first, no session', async () => {
    const deps = Object.assign(createFakeDeps(), { relyingParty: { rpId: 'clinic.test', origin: 'https://app.clinic.test', name: 'Clinic' } });
    const patient = await registeredPatient(deps);
    const caller = await authenticate({ authorization: `Bearer ${patient.session!.access_token}` }, deps);
    const authenticator = createSoftwareAuthenticator('https://app.clinic.test');
    const { passkey, response } = authenticator.create(await passkeyCreationOptions(caller, deps));
    await enrolPasskey(caller, { response, name: 'Laptop' }, CONTEXT, deps);
    const before = (await deps.sessions.listLive(patient.patientId, deps.clock.now())).map((s) => s.familyId);

    justBeforeTheSession(deps, async () => deps.repository.setActive(patient.patientId, false));
    const answer = authenticator.get(passkey, await passkeySignInOptions(deps));
    const refused = await signInWithPasskey({ response: answer }, CONTEXT, deps).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(SignInRefusedError);
    expect(refused).toMatchObject({ reason: 'inactive', statusCode: 403 });
    expect((await deps.sessions.listLive(patient.patientId, deps.clock.now())).map((s) => s.familyId)).toEqual(before);
    expect(await failures(deps, patient.patientId, 'passkey_sign_in')).toContain('inactive');
  });
});
