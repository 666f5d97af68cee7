import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { attemptSubjects } from '../../lib/auth/lockout-policy.js';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { signInSession as signIn } from '../support/signed-in.js';
import { InvalidAccessTokenError, InvalidRefreshTokenError, SignInLockedError, SignInRefusedError, WrongCurrentPasswordError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { changePassword } from '../../lib/password/change-password.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { closeAccount } from '../../lib/record/close-account.js';
import { composeAccountNotice } from '../../lib/record/notice-mails.js';
import { captureOutput } from '../support/capture-output.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const output = captureOutput();
const WRONG = 'Wrong-Passphrase1!';
const NEW_PASSWORD = 'N3w-Passphrase!x';

async function signedIn() {
  const deps = createFakeDeps();
  const { patientId, email, password } = await registeredPatient(deps, { overrides: { medical_history: ['asthma'] } });
  const current = await startSession(patientId, deps);
  const other = await startSession(patientId, deps);
  const caller = await deps.tokens.verify(current.tokens.access_token, deps.clock.now());
  const close = (given = password, d: FakeDeps = deps) => closeAccount(caller, { password: given }, CONTEXT, d);
  return { deps, patientId, email, password, current, other, caller, close };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const closeEvents = async (deps: FakeDeps, patientId: string) =>
  (await deps.audit.eventsFor(patientId)).filter((e) => e.action === 'account_close').map((e) => [e.outcome, e.reason]);

describe('closeAccount (POST /me/close)', () => {
  it('deactivates the account; the record, its data and its reservations stay; the confirmation is mailed', async () => {
    const { deps, patientId, email, close } = await signedIn();
    const before = deps.repository.readPatient(patientId)!;
    await close();
    expect(deps.repository.readPatient(patientId)).toEqual({ ...before, is_active: false, updated_at: deps.clock.now().toISOString() });
    expect(await deps.repository.findTakenIdentifiers(before.email, before.phone_number)).toEqual({ email: true, phone: true });
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toEqual([{ to: email, notice: 'account_closed' }]);
  });

  it('every session ends at once, the caller\'s too: access tokens 401, refresh tokens refused', async () => {
    const { deps, current, other, close } = await signedIn();
    await close();
    for (const session of [current, other]) {
      await expect(authenticate(bearer(session.tokens.access_token), deps)).rejects.toBeInstanceOf(InvalidAccessTokenError);
      await expect(refreshSession(session.tokens.refresh_token, CONTEXT, deps)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    }
  });

  it('a wrong password: 401, nothing closed, counted toward the session\'s own lock (never the account\'s), then 429', async () => {
    const { deps, patientId, caller, close } = await signedIn();
    await expect(close(WRONG)).rejects.toBeInstanceOf(WrongCurrentPasswordError);
    expect(deps.repository.readPatient(patientId)!.is_active).toBe(true);
    expect((await deps.storage.loginFailures.read(attemptSubjects.session(caller.sessionId!))).failures).toBe(1);
    for (let i = 0; i < 4; i++) await close(WRONG).catch(() => undefined);
    await expect(close()).rejects.toBeInstanceOf(SignInLockedError);
    expect(deps.repository.readPatient(patientId)!.is_active).toBe(true);
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patientId))).toEqual({ failures: 0 });
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toEqual([]);
  });

  it('an account already closed: 403, audited, the password not tried', async () => {
    const { deps, patientId, caller, close } = await signedIn();
    deps.repository.setActive(patientId, false);
    await expect(close(WRONG)).rejects.toBeInstanceOf(SignInRefusedError);
    expect(await deps.storage.loginFailures.read(attemptSubjects.session(caller.sessionId!))).toEqual({ failures: 0 });
    expect(await closeEvents(deps, patientId)).toEqual([['failure', 'inactive']]);
  });

  it('a password change that lands between the check and the write wins: the close is a 401 and closes nothing', async () => {
    const { deps, patientId, password, close } = await signedIn();
    const racing: FakeDeps = {
      ...deps,
      repository: {
        ...deps.repository,
        async closeAccount(write) {
          const other = await startSession(patientId, deps);
          const caller = await deps.tokens.verify(other.tokens.access_token, deps.clock.now());
          await changePassword(caller, { current_password: password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);
          return deps.repository.closeAccount(write);
        },
      },
    };
    await expect(close(password, racing)).rejects.toBeInstanceOf(WrongCurrentPasswordError);
    expect(deps.repository.readPatient(patientId)!.is_active).toBe(true);
    expect(await closeEvents(deps, patientId)).toEqual([['failure', 'changed_meanwhile']]);
  });

  it('two closes at once (two tabs): one closes, the other is told the account is closed (403), one mail', async () => {
    const { deps, patientId, close } = await signedIn();
    const outcomes = await Promise.allSettled([close(), close()]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(SignInRefusedError);
    expect((await closeEvents(deps, patientId)).sort()).toEqual([['failure', 'inactive'], ['success', undefined]]);
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toHaveLength(1);
  });

  it('audits success and failure with the caller\'s session, and logs no password', async () => {
    const { deps, patientId, password, caller, close } = await signedIn();
    await close(WRONG).catch(() => undefined);
    await close();
    expect(await closeEvents(deps, patientId)).toEqual([['failure', 'wrong_password'], ['success', undefined]]);
    expect((await deps.audit.eventsFor(patientId)).filter((e) => e.action === 'account_close').every((e) => e.sessionId === caller.sessionId)).toBe(true);
    expect(output.text()).not.toContain(password);
    expect(output.text()).not.toContain(WRONG);
  });
});

describe('after the close', () => {
  it('sign-in with the right password is refused (403) with how to reopen; a wrong one stays 401', async () => {
    const { deps, email, password, close } = await signedIn();
    await close();
    const refused = await signIn({ email, password }, CONTEXT, deps).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignInRefusedError);
    expect((refused as Error).message).toMatch(/closed.*Forgot password/);
    await expect(signIn({ email, password: WRONG }, CONTEXT, deps)).rejects.toThrow('Invalid email or password');
  });

  it('a password reset (forgot → link → reset) reopens the account, and sign-in works again', async () => {
    const { deps, patientId, email, close } = await signedIn();
    await close();
    await requestPasswordReset(email, deps);
    await deliverDueMails(deps);
    const token = new URL(deps.mailer.resetMails.at(-1)!.resetUrl).searchParams.get('token')!;
    await resetPassword({ token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);
    expect(deps.repository.readPatient(patientId)!.is_active).toBe(true);
    await expect(signIn({ email, password: NEW_PASSWORD }, CONTEXT, deps)).resolves.toMatchObject({ patient_id: patientId });
  });
});

describe('the confirmation mail', () => {
  it('says how to reopen and carries no link and no patient data', () => {
    const mail = composeAccountNotice('account_closed', 'Clinic Test');
    expect(mail.subject).toBe('Your account was closed');
    expect(mail.text).toContain('Forgot password');
    expect(mail.html).not.toMatch(/href=/);
  });
});
