import { describe, expect, it } from 'vitest';
import { attemptSubjects } from '../../lib/auth/lockout-policy.js';
import { signInSession as signIn } from '../support/signed-in.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { hashRefreshToken } from '../../lib/auth/refresh-token.js';
import { GoneResetTokenError, InvalidResetTokenError, SignInLockedError, SignInRefusedError, TooManyRequestsError, WrongCurrentPasswordError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { changePassword } from '../../lib/password/change-password.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { MIN_RESEND_LIFE_MS } from '../../lib/patient/link-token.js';
import { composePasswordChangedMail, composePasswordResetMail } from '../../lib/password/password-mails.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { RESET_TOKEN_LIFETIME_MS } from '../../lib/password/reset-token.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { validatePasswordChange } from '../../lib/patient/generated/password-change.js';
import { validatePasswordReset } from '../../lib/patient/generated/password-reset.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { ValidationError } from '../../lib/errors.js';
import { captureOutput } from '../support/capture-output.js';
import { createFakeDeps, RESET_URL_BASE, type FakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';

captureOutput();

const NEW_PASSWORD = 'N3w-Passphrase!x';
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

async function registered() {
  const deps = createFakeDeps();
  const body = uniqueRegistration() as RegistrationRequest;
  await registerPatient(body, deps);
  const patient = deps.repository.patients()[0]!;
  return { deps, body, patient };
}

/** Forgot → outbox → the reset link's token. */
async function resetLink(deps: FakeDeps, email: string): Promise<string> {
  await requestPasswordReset(email, deps);
  await deliverDueMails(deps);
  return tokenOf(deps.mailer.resetMails.at(-1)!.resetUrl);
}

const reset = (deps: FakeDeps, token: string, password = NEW_PASSWORD) => resetPassword({ token, password, confirm_password: password }, {}, deps);

describe('forgot password: the request only counts and queues', () => {
  it('queues a request for any address, and the outbox mails a link only to a registered one', async () => {
    const { deps, body, patient } = await registered();
    await requestPasswordReset('nobody@clinic.test', deps);
    await requestPasswordReset(body.email, deps);
    await deliverDueMails(deps);
    expect(deps.mailer.resetMails).toHaveLength(1);
    expect(deps.mailer.resetMails[0]).toEqual({ to: body.email, resetUrl: expect.any(String) });
    expect(deps.mailer.resetMails[0]!.resetUrl.startsWith(`${RESET_URL_BASE}?token=`)).toBe(true);
  });

  it('an unverified (squatted) account gets a link too', async () => {
    const { deps, body, patient } = await registered();
    expect(patient.email_verified).toBe(false);
    await resetLink(deps, body.email);
    expect(deps.mailer.resetMails).toHaveLength(1);
  });

  // The number (3 an hour), not the constant it checks: a limit of 300 must fail here.
  it('allows 3 requests per hour per address, registered or not, then 429 with Retry-After', async () => {
    for (const email of ['nobody@clinic.test', (await registered()).body.email]) {
      const deps = createFakeDeps();
      for (let i = 0; i < 3; i++) await requestPasswordReset(email, deps);
      const refused = await requestPasswordReset(email, deps).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TooManyRequestsError);
      expect((refused as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);
    }
  });

  it('counts the address normalized (case does not buy more requests)', async () => {
    const deps = createFakeDeps();
    for (let i = 0; i < 3; i++) await requestPasswordReset('Jane@Clinic.test', deps);
    await expect(requestPasswordReset('jane@clinic.test', deps)).rejects.toBeInstanceOf(TooManyRequestsError);
  });
});

describe('the reset link', () => {
  it('sets the password, verifies the email, lifts the lapse, queues the notice; the patient signs in with it', async () => {
    const { deps, body, patient } = await registered();
    expect(patient.lapses_at).toBeDefined();
    await reset(deps, await resetLink(deps, body.email));
    const after = deps.repository.readPatient(patient.id)!;
    expect(after.email_verified).toBe(true);
    expect(after.lapses_at).toBeUndefined();
    expect(await deps.hasher.compare(NEW_PASSWORD, after.password_hash)).toBe(true);
    await deliverDueMails(deps);
    expect(deps.mailer.changedMails).toEqual([{ to: body.email, firstName: patient.first_name, changedAt: deps.clock.now().toISOString(), sessionsEnded: 'all' }]);
    await expect(signIn({ email: body.email, password: NEW_PASSWORD }, {}, deps)).resolves.toMatchObject({ patient_id: patient.id });
    await expect(signIn({ email: body.email, password: body.password }, {}, deps)).rejects.toThrow('Invalid email or password');
  });

  it('unknown token: 400', async () => {
    const { deps } = await registered();
    await expect(reset(deps, 'A'.repeat(43))).rejects.toBeInstanceOf(InvalidResetTokenError);
  });

  it('a used token: 410', async () => {
    const { deps, body } = await registered();
    const token = await resetLink(deps, body.email);
    await reset(deps, token);
    await expect(reset(deps, token, 'An0ther-Passphrase!')).rejects.toThrow(new GoneResetTokenError('used'));
  });

  it('expires after 30 minutes (valid one second before)', async () => {
    const { deps, body } = await registered();
    const token = await resetLink(deps, body.email);
    const issued = deps.clock.now().getTime();
    deps.clock.set(new Date(issued + RESET_TOKEN_LIFETIME_MS));
    await expect(reset(deps, token)).rejects.toThrow(new GoneResetTokenError('expired'));
    deps.clock.set(new Date(issued + RESET_TOKEN_LIFETIME_MS - 1000));
    await expect(reset(deps, token)).resolves.toBeUndefined();
  });

  it('a request inside a live link\'s life sends that same link again: whoever spends the quota cannot replace the owner\'s link', async () => {
    const { deps, body } = await registered();
    const owners = await resetLink(deps, body.email);
    deps.clock.advance(10 * 60_000);
    expect(await resetLink(deps, body.email)).toBe(owners); // a stranger's request
    expect(deps.mailer.resetMails).toHaveLength(2);
    await expect(reset(deps, owners)).resolves.toBeUndefined();
  });

  it('a link with less than 5 minutes left, or used, is replaced by a new one; the older one is then superseded', async () => {
    const { deps, body } = await registered();
    const older = await resetLink(deps, body.email);
    deps.clock.advance(RESET_TOKEN_LIFETIME_MS - MIN_RESEND_LIFE_MS + 1000);
    const newer = await resetLink(deps, body.email);
    expect(newer).not.toBe(older);
    await expect(reset(deps, older)).rejects.toThrow(new GoneResetTokenError('superseded'));
    await expect(reset(deps, newer)).resolves.toBeUndefined();
    const after = await resetLink(deps, body.email); // the used link is not sent again
    expect(after).not.toBe(newer);
  });

  it('revokes every session and clears the lock counter', async () => {
    const { deps, body, patient } = await registered();
    const token = await resetLink(deps, body.email);
    const first = await startSession(patient.id, deps);
    const second = await startSession(patient.id, deps);
    const account = attemptSubjects.account(patient.id);
    for (let i = 0; i < 5; i++) await deps.attempts.reserve(account, deps.clock.now());
    expect((await deps.storage.loginFailures.read(account)).failures).toBe(5);
    await reset(deps, token);
    for (const { tokens } of [first, second]) {
      expect((await deps.sessions.rotate(hashRefreshToken(tokens.refresh_token), hashRefreshToken('x'.repeat(43)), deps.clock.now(), 0)).outcome).toBe('revoked');
    }
    expect(await deps.storage.loginFailures.read(account)).toEqual({ failures: 0 });
  });

  it('audits success and failure', async () => {
    const { deps, body, patient } = await registered();
    const token = await resetLink(deps, body.email);
    await reset(deps, token);
    await reset(deps, token).catch(() => undefined);
    const events = (await deps.audit.eventsFor(patient.id)).filter((e) => e.action === 'password_reset');
    expect(events.map((e) => [e.outcome, e.reason])).toEqual([['success', undefined], ['failure', 'used']]);
  });
});

describe('password rules are the registration rules', () => {
  it.each(['sh0rt!A', 'alllowercase1!', 'NoDigits!!aa', 'Password123!'])('%s gets the same messages as in registration', (password) => {
    const messages = (f: () => unknown) => {
      try {
        f();
        return [];
      } catch (error) {
        return (error as ValidationError).errors;
      }
    };
    const registration = messages(() => validateRegistration({ ...uniqueRegistration(), password, confirm_password: password }, { now: () => new Date() }));
    const resetErrors = messages(() => validatePasswordReset({ token: 'A'.repeat(43), password, confirm_password: password }));
    const changeErrors = messages(() => validatePasswordChange({ current_password: 'x', password, confirm_password: password }));
    expect((registration as Record<string, unknown>).password).toBeDefined();
    expect((resetErrors as Record<string, unknown>).password).toEqual((registration as Record<string, unknown>).password);
    expect((changeErrors as Record<string, unknown>).password).toEqual((registration as Record<string, unknown>).password);
  });

  it('a change to the same password is refused (422) before anything is checked, written or mailed', () => {
    const same = { current_password: NEW_PASSWORD, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD };
    const refused = (() => {
      try {
        validatePasswordChange(same);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).statusCode).toBe(422);
    expect((refused as ValidationError).errors).toEqual({ password: ['The new password must differ from the current one'] });
    expect(validatePasswordChange({ ...same, current_password: `${NEW_PASSWORD}-old` })).toMatchObject({ password: NEW_PASSWORD });
  });

  it('confirm_password must match', () => {
    expect(() => validatePasswordReset({ token: 'A'.repeat(43), password: NEW_PASSWORD, confirm_password: `${NEW_PASSWORD}x` })).toThrow(ValidationError);
  });
});

describe('password change', () => {
  async function signedIn() {
    const { deps, body, patient } = await registered();
    await reset(deps, await resetLink(deps, body.email)); // verified, with a known password
    const current = await startSession(patient.id, deps);
    const other = await startSession(patient.id, deps);
    const caller = await deps.tokens.verify(current.tokens.access_token, deps.clock.now());
    return { deps, body, patient, current, other, caller };
  }
  async function signedInWithEmail() {
    const { deps, body, patient } = await registered();
    await reset(deps, await resetLink(deps, body.email));
    const current = await startSession(patient.id, deps);
    return { deps, body, patient, caller: await deps.tokens.verify(current.tokens.access_token, deps.clock.now()) };
  }
  const request = (current_password: string, password = 'Ch4nged-Passphrase!') => ({ current_password, password, confirm_password: password });

  it('replaces the hash, ends the other sessions, keeps the caller\'s, queues the notice', async () => {
    const { deps, patient, current, other, caller } = await signedIn();
    expect(caller.sessionId).toBe(current.sessionId);
    await changePassword(caller, request(NEW_PASSWORD), {}, deps);
    const rotate = (t: string) => deps.sessions.rotate(hashRefreshToken(t), hashRefreshToken(`${t}-next`), deps.clock.now(), 0);
    expect((await rotate(other.tokens.refresh_token)).outcome).toBe('revoked');
    expect((await rotate(current.tokens.refresh_token)).outcome).toBe('rotated');
    expect(await deps.hasher.compare('Ch4nged-Passphrase!', deps.repository.readPatient(patient.id)!.password_hash)).toBe(true);
    await deliverDueMails(deps);
    // The reset's (every session ended) and the change's (every other one).
    expect(deps.mailer.changedMails.map((m) => m.sessionsEnded)).toEqual(['all', 'others']);
  });

  it('a wrong current password: 401, counted toward the session\'s own lock, then 429 when that session is locked', async () => {
    const { deps, patient, caller } = await signedIn();
    await expect(changePassword(caller, request('Wrong-Passphrase1!'), {}, deps)).rejects.toBeInstanceOf(WrongCurrentPasswordError);
    expect((await deps.storage.loginFailures.read(attemptSubjects.session(caller.sessionId!))).failures).toBe(1);
    for (let i = 0; i < 4; i++) await changePassword(caller, request('Wrong-Passphrase1!'), {}, deps).catch(() => undefined);
    await expect(changePassword(caller, request(NEW_PASSWORD), {}, deps)).rejects.toBeInstanceOf(SignInLockedError);
    expect(await deps.hasher.compare(NEW_PASSWORD, deps.repository.readPatient(patient.id)!.password_hash)).toBe(true);
  });

  it('never counts toward the account lock, and the account lock never stops it (issue 19 item 2)', async () => {
    const { deps, patient, body, caller } = await signedIn();
    for (let i = 0; i < 5; i++) await changePassword(caller, request('Wrong-Passphrase1!'), {}, deps).catch(() => undefined);
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patient.id))).toEqual({ failures: 0 });
    await expect(signIn({ email: body.email, password: NEW_PASSWORD }, {}, deps)).resolves.toMatchObject({ patient_id: patient.id });

    const { caller: owner, deps: ownerDeps, body: ownerBody } = await signedIn();
    // A stranger locks the account for untrusted clients…
    for (let i = 0; i < 6; i++) await signIn({ email: ownerBody.email, password: `Wrong-${i}` }, {}, ownerDeps).catch(() => undefined);
    await expect(signIn({ email: ownerBody.email, password: NEW_PASSWORD }, {}, ownerDeps)).rejects.toBeInstanceOf(SignInLockedError);
    // …and the signed-in owner still changes the password.
    await expect(changePassword(owner, request(NEW_PASSWORD), {}, ownerDeps)).resolves.toBeUndefined();
  });

  it('a deactivated patient cannot change the password, as on every other Bearer route (issue 19 item 15)', async () => {
    const { deps, patient, caller } = await signedIn();
    deps.repository.setActive(patient.id, false);
    const before = deps.repository.readPatient(patient.id)!.password_hash;
    await expect(changePassword(caller, request(NEW_PASSWORD), {}, deps)).rejects.toBeInstanceOf(SignInRefusedError);
    expect(deps.repository.readPatient(patient.id)!.password_hash).toBe(before);
    expect((await deps.storage.loginFailures.read(patient.id)).failures).toBe(0);
    expect((await deps.audit.eventsFor(patient.id)).at(-1)).toMatchObject({ action: 'password_change', outcome: 'failure', reason: 'inactive' });
  });

  it('a change ends the reset link mailed before it: the link cannot undo the change (issue 19 item 8)', async () => {
    const { deps, body, patient, caller } = await signedInWithEmail();
    const link = await resetLink(deps, body.email);
    await changePassword(caller, request(NEW_PASSWORD), {}, deps);
    await expect(reset(deps, link)).rejects.toThrow(new GoneResetTokenError('superseded'));
    expect(await deps.hasher.compare('Ch4nged-Passphrase!', deps.repository.readPatient(patient.id)!.password_hash)).toBe(true);
  });

  it('the access tokens of the ended sessions stop working at once; the caller\'s goes on (issue 19 item 3)', async () => {
    const { deps, patient, current, other, caller } = await signedIn();
    await changePassword(caller, request(NEW_PASSWORD), {}, deps);
    const live = (sessionId: string) => deps.sessions.isLive({ familyId: sessionId, patientId: patient.id }, deps.clock.now());
    expect([await live(current.sessionId), await live(other.sessionId)]).toEqual([true, false]);
  });

  it('audits the change with the caller\'s session', async () => {
    const { deps, patient, caller } = await signedIn();
    await changePassword(caller, request(NEW_PASSWORD), {}, deps);
    const events = (await deps.audit.eventsFor(patient.id)).filter((e) => e.action === 'password_change');
    expect(events).toMatchObject([{ outcome: 'success', sessionId: caller.sessionId }]);
  });
});

describe('the mails', () => {
  it('the reset mail holds the link and nothing of the patient, not even the name (the account may be unverified)', () => {
    const mail = composePasswordResetMail({ to: 'a@b.test', resetUrl: 'https://x.test/r?token=abc' }, 'Clinic Test');
    expect(mail.text).toMatch(/^Hello,\n/);
    expect(mail.text).toContain('https://x.test/r?token=abc');
  });

  it('the "password changed" mail carries no link', () => {
    const mail = composePasswordChangedMail({ to: 'a@b.test', firstName: 'Jane', changedAt: new Date().toISOString(), sessionsEnded: 'all' }, 'Clinic Test');
    expect(mail.text).not.toMatch(/https?:/);
    expect(mail.html).not.toMatch(/href|https?:/);
  });
});

describe('a refreshed access token names the same session', () => {
  it('so a password change after a refresh keeps the refreshed session', async () => {
    const { refreshSession } = await import('../../lib/auth/refresh-session.js');
    const { deps, patient } = await registered();
    const started = await startSession(patient.id, deps);
    const refreshed = await refreshSession(started.tokens.refresh_token, {}, deps);
    expect((await deps.tokens.verify(refreshed.access_token, deps.clock.now())).sessionId).toBe(started.sessionId);
  });
});
