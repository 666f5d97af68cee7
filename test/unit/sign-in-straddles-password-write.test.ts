import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { InvalidCredentialsError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { changePassword } from '../../lib/password/change-password.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { closeAccount } from '../../lib/record/close-account.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

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
    release();
    const outcome = await attempt;

    expect(outcome).toEqual({ error: expect.any(InvalidCredentialsError) });
    await noLiveSession(deps, patientId);
    expect(await signInFailures(deps, patientId)).toContain('password_changed');
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
