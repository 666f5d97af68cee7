import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { attemptSubjects } from '../../lib/auth/lockout-policy.js';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { signIn } from '../../lib/auth/sign-in.js';
import {
  DuplicateRegistrationError, GoneEmailMoveLinkError, InvalidAccessTokenError, InvalidEmailMoveLinkError, InvalidRefreshTokenError, SameContactError, SignInRefusedError, TooManyRequestsError,
  WrongCurrentPasswordError, WrongPasswordError,
} from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { changePassword } from '../../lib/password/change-password.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { closeAccount } from '../../lib/record/close-account.js';
import { confirmEmailMove, confirmEmailMoveWithPassword, requestEmailMove } from '../../lib/record/move-email.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const WRONG = 'Wrong-Passphrase1!';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signedIn() {
  const deps = createFakeDeps();
  const { patientId, email, password, body } = await registeredPatient(deps);
  const current = await startSession(patientId, deps);
  const other = await startSession(patientId, deps);
  const caller = await deps.tokens.verify(current.tokens.access_token, deps.clock.now());
  const ask = (newEmail: string, given = password) => requestEmailMove(caller, { email: newEmail, password: given }, CONTEXT, deps);
  return { deps, patientId, email, password, body, current, other, caller, ask };
}

/** The token of the newest move link mailed (the outbox delivered first). */
async function mailedToken(deps: FakeDeps) {
  await deliverDueMails(deps);
  return new URL(deps.mailer.moveLinks.at(-1)!.confirmUrl).searchParams.get('token')!;
}

const newAddress = () => `moved.${Math.random().toString(36).slice(2)}@example.org`;

describe('requestEmailMove (POST /me/email)', () => {
  it('mails a 30-minute link to the new address and a notice to the old one; nothing moves yet', async () => {
    const { deps, patientId, email, ask } = await signedIn();
    const before = deps.repository.readPatient(patientId)!;
    const to = newAddress();
    await ask(`  ${to.toUpperCase()} `);
    await deliverDueMails(deps);
    expect(deps.mailer.moveLinks.map((m) => m.to)).toEqual([to]);
    expect(deps.mailer.moveLinks[0]!.confirmUrl).toMatch(/^https:\/\/app\.clinic\.test\/me\/email\/confirm\?token=[A-Za-z0-9_-]{43}$/);
    expect(deps.mailer.notices).toEqual([{ to: email, notice: 'email_move_requested' }]);
    expect(deps.repository.readPatient(patientId)).toEqual(before);
  });

  it('an address with an account: the same answer, only a "someone tried" mail to it, no link, no notice', async () => {
    const { deps, ask, patientId, password } = await signedIn();
    const taken = await registeredPatient(deps);
    await deliverDueMails(deps);
    const noticesBefore = deps.mailer.notices.length;
    await expect(ask(taken.email)).resolves.toBeUndefined();
    await deliverDueMails(deps);
    expect(deps.mailer.moveLinks).toEqual([]);
    expect(deps.mailer.notices.slice(noticesBefore)).toEqual([{ to: taken.email, notice: 'email_move_refused' }]);
  });

  it('a wrong password: 401, nothing mailed, counted toward the session\'s lock only', async () => {
    const { deps, patientId, caller, ask } = await signedIn();
    await expect(ask(newAddress(), WRONG)).rejects.toBeInstanceOf(WrongCurrentPasswordError);
    await deliverDueMails(deps);
    expect(deps.mailer.moveLinks).toEqual([]);
    expect((await deps.storage.loginFailures.read(attemptSubjects.session(caller.sessionId!))).failures).toBe(1);
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patientId))).toEqual({ failures: 0 });
  });

  it('the address the account has already: 422 on email', async () => {
    const { email, ask } = await signedIn();
    await expect(ask(email.toUpperCase())).rejects.toBeInstanceOf(SameContactError);
  });

  it('3 moves asked for in any hour, whether or not the address has an account; the 4th is 429 and mails nothing', async () => {
    const { deps, ask, patientId, password } = await signedIn();
    const taken = await registeredPatient(deps);
    await deliverDueMails(deps);
    const noticesBefore = deps.mailer.notices.length;
    await ask(newAddress());
    await ask(taken.email);
    await ask(newAddress());
    await expect(ask(newAddress())).rejects.toBeInstanceOf(TooManyRequestsError);
    await deliverDueMails(deps);
    expect(deps.mailer.moveLinks).toHaveLength(2);
    expect(deps.mailer.notices.length - noticesBefore).toBe(3);
    deps.clock.advance(3600_000);
    // An hour on, a fresh sign-in (the step-up's 10 minutes) may ask again: the window slid.
    const fresh = await deps.tokens.verify((await startSession(patientId, deps)).tokens.access_token, deps.clock.now());
    await expect(requestEmailMove(fresh, { email: newAddress(), password }, CONTEXT, deps)).resolves.toBeUndefined();
  });

  it('closed between the read and the write: the store refuses, 403, nothing mailed', async () => {
    const { deps, patientId, caller, password } = await signedIn();
    const racing: FakeDeps = {
      ...deps,
      contactMoves: {
        ...deps.contactMoves,
        requestEmailMove: async (request) => {
          deps.repository.setActive(patientId, false);
          return deps.contactMoves.requestEmailMove(request);
        },
      },
    };
    await expect(requestEmailMove(caller, { email: newAddress(), password }, CONTEXT, racing)).rejects.toBeInstanceOf(SignInRefusedError);
    await deliverDueMails(deps);
    expect(deps.mailer.moveLinks).toEqual([]);
    expect(deps.mailer.notices).toEqual([]);
  });

  it('a closed account: 403 before the password is looked at', async () => {
    const { deps, patientId, ask } = await signedIn();
    deps.repository.setActive(patientId, false);
    await expect(ask(newAddress(), WRONG)).rejects.toBeInstanceOf(SignInRefusedError);
  });
});

describe('confirmEmailMove (POST /me/email/confirm)', () => {
  it('moves the email: the new address signs in, the old one is free, still verified, the version moves, the old address is told', async () => {
    const { deps, patientId, email, password, caller, ask } = await signedIn();
    const to = newAddress();
    await ask(to);
    const token = await mailedToken(deps);
    const before = deps.repository.readPatient(patientId)!;
    deps.clock.advance(1000);
    await expect(confirmEmailMove(caller, { token }, CONTEXT, deps)).resolves.toBe(to);
    const after = deps.repository.readPatient(patientId)!;
    expect(after).toEqual({ ...before, email: to, email_verified: true, updated_at: deps.clock.now().toISOString() });
    expect(await deps.repository.findTakenIdentifiers(email, '')).toEqual({ email: false, phone: false });
    expect(await deps.repository.findTakenIdentifiers(to, '')).toEqual({ email: true, phone: false });
    await expect(signIn({ email: to, password }, CONTEXT, deps)).resolves.toBeDefined();
    await deliverDueMails(deps);
    expect(deps.mailer.notices.at(-1)).toEqual({ to: email, notice: 'email_moved' });
  });

  it('every other session ends at once (refresh and access); the one that asked goes on', async () => {
    const { deps, current, other, caller, ask } = await signedIn();
    await ask(newAddress());
    await confirmEmailMove(caller, { token: await mailedToken(deps) }, CONTEXT, deps);
    await expect(authenticate(bearer(other.tokens.access_token), deps)).rejects.toBeInstanceOf(InvalidAccessTokenError);
    await expect(refreshSession(other.tokens.refresh_token, CONTEXT, deps)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(authenticate(bearer(current.tokens.access_token), deps)).resolves.toMatchObject({ patientId: caller.patientId });
  });

  it('single use: a second use is 410 used', async () => {
    const { deps, caller, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    await confirmEmailMove(caller, { token }, CONTEXT, deps);
    await expect(confirmEmailMove(caller, { token }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'used' });
  });

  it('only the newest link works: an older one is 410 superseded', async () => {
    const { deps, caller, ask } = await signedIn();
    await ask(newAddress());
    const older = await mailedToken(deps);
    await ask(newAddress());
    await expect(confirmEmailMove(caller, { token: older }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'superseded' });
    await expect(confirmEmailMove(caller, { token: await mailedToken(deps) }, CONTEXT, deps)).resolves.toBeDefined();
  });

  it('expires after 30 minutes', async () => {
    const { deps, caller, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    deps.clock.advance(30 * 60_000 - 1000);
    const late = { ...deps, clock: { now: () => new Date(deps.clock.now().getTime() + 1000) } };
    await expect(confirmEmailMove(caller, { token }, CONTEXT, late)).rejects.toMatchObject({ reason: 'expired' });
    await expect(confirmEmailMove(caller, { token }, CONTEXT, deps)).resolves.toBeDefined();
  });

  it('an address registered meanwhile: 422 on email, nothing written, the link still usable', async () => {
    const { deps, patientId, caller, ask } = await signedIn();
    const to = newAddress();
    await ask(to);
    const token = await mailedToken(deps);
    const before = deps.repository.readPatient(patientId)!;
    await registeredPatient(deps, { overrides: { email: to } });
    await expect(confirmEmailMove(caller, { token }, CONTEXT, deps)).rejects.toBeInstanceOf(DuplicateRegistrationError);
    expect(deps.repository.readPatient(patientId)).toEqual(before);
    expect(await deps.contactMoves.emailMoveLink((await import('../../lib/patient/verification-token.js')).hashVerificationToken(token), deps.clock.now())).toMatchObject({ state: 'usable' });
  });

  it('another account\'s session cannot use the link: 400, as an unknown one', async () => {
    const { deps, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    const stranger = await registeredPatient(deps);
    const strangerCaller = await deps.tokens.verify(stranger.session!.access_token, deps.clock.now());
    await expect(confirmEmailMove(strangerCaller, { token }, CONTEXT, deps)).rejects.toBeInstanceOf(InvalidEmailMoveLinkError);
  });
});

/**
 * The email_move_requested notice tells the owner: "choose Forgot password: that ends every session
 * and the pending change". A new password (reset or change) and a close end the move in their own
 * write: the link reads superseded, on the API and on its page, and the address stays.
 */
describe('a new password or a close ends a pending move', () => {
  const NEW_PASSWORD = 'N3w-Passphrase!x';

  /** The owner follows the notice: Forgot password, then the reset link. */
  async function resetByMail(deps: FakeDeps, email: string) {
    await requestPasswordReset(email, deps);
    await deliverDueMails(deps);
    const token = new URL(deps.mailer.resetMails.at(-1)!.resetUrl).searchParams.get('token')!;
    await resetPassword({ token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);
  }

  it('a reset by "Forgot password" (the review\'s case): a session started afterwards gets 410 superseded; the page too; the email stays', async () => {
    const { deps, patientId, email, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    await resetByMail(deps, email);
    // Whoever asked signs in again by a way that needs no password (a passkey they enrolled, say).
    const later = await deps.tokens.verify((await startSession(patientId, deps)).tokens.access_token, deps.clock.now());
    await expect(confirmEmailMove(later, { token }, CONTEXT, deps)).rejects.toMatchObject({ name: 'GoneEmailMoveLinkError', reason: 'superseded' });
    await expect(confirmEmailMoveWithPassword({ token, password: NEW_PASSWORD }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'superseded' });
    expect(deps.repository.readPatient(patientId)!.email).toBe(email);
    await deliverDueMails(deps);
    expect(deps.mailer.notices.filter((n) => n.notice === 'email_moved')).toEqual([]);
  });

  it('a password change: the move link is 410 superseded, even for the session that changed it', async () => {
    const { deps, patientId, email, password, caller, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    await changePassword(caller, { current_password: password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);
    await expect(confirmEmailMove(caller, { token }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'superseded' });
    expect(deps.repository.readPatient(patientId)!.email).toBe(email);
  });

  it('a close, then the reset that reopens the account: the move link stays 410 superseded', async () => {
    const { deps, patientId, email, password, caller, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    await closeAccount(caller, { password }, CONTEXT, deps);
    await resetByMail(deps, email);
    await expect(confirmEmailMoveWithPassword({ token, password: NEW_PASSWORD }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'superseded' });
    expect(deps.repository.readPatient(patientId)).toMatchObject({ email, is_active: true });
  });
});

describe('confirmEmailMoveWithPassword (the link\'s page)', () => {
  it('the account\'s password moves it; a wrong one is 401 and counts toward the link\'s own tries', async () => {
    const { deps, password, ask } = await signedIn();
    const to = newAddress();
    await ask(to);
    const token = await mailedToken(deps);
    await expect(confirmEmailMoveWithPassword({ token, password: WRONG }, CONTEXT, deps)).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(confirmEmailMoveWithPassword({ token, password }, CONTEXT, deps)).resolves.toBe(to);
  });

  it('five wrong passwords spend the link: 410 even with the right one', async () => {
    const { deps, password, ask } = await signedIn();
    await ask(newAddress());
    const token = await mailedToken(deps);
    for (let i = 0; i < 5; i++) await confirmEmailMoveWithPassword({ token, password: WRONG }, CONTEXT, deps).catch(() => undefined);
    await expect(confirmEmailMoveWithPassword({ token, password }, CONTEXT, deps)).rejects.toBeInstanceOf(GoneEmailMoveLinkError);
  });
});
