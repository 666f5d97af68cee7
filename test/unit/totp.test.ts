import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { ACR_AAL2 } from '../../lib/auth/assurance.js';
import { attemptSubjects } from '../../lib/auth/lockout-policy.js';
import { completeMfaSignIn, MFA_TOKEN_TTL_MS, type MfaRequiredAnswer } from '../../lib/auth/mfa-sign-in.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { STEP_UP_MAX_AGE_SECONDS } from '../../lib/auth/step-up.js';
import { totpCodeAt, totpStepAt, TOTP_PERIOD_SECONDS } from '../../lib/auth/totp.js';
import { beginTotpEnrolment, confirmTotpEnrolment, removeTotp } from '../../lib/auth/totp-enrolment.js';
import { requestEmailMove } from '../../lib/record/move-email.js';
import {
  InvalidMfaTokenError, SameContactError, SignInLockedError, StepUpRequiredError, TotpStateError, WrongSecondFactorError,
} from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
const refusal = (promise: Promise<unknown>) => promise.then(() => expect.fail('accepted'), (e: unknown) => e);

/** A verified patient signed in a moment ago (verification signs in), with the app set up and confirmed. */
async function enrolled(deps: FakeDeps = createFakeDeps()) {
  const patient = await registeredPatient(deps);
  const caller = await deps.tokens.verify(patient.session!.access_token, deps.clock.now());
  const enrolment = await beginTotpEnrolment(caller, CONTEXT, deps);
  const code = () => totpCodeAt(enrolment.secret, totpStepAt(deps.clock.now()));
  const { recovery_codes } = await confirmTotpEnrolment(caller, { code: code() }, CONTEXT, deps);
  // The next code is a new step: the confirming one is used.
  deps.clock.advance(STEP_MS);
  return { deps, ...patient, caller, secret: enrolment.secret, code, recoveryCodes: recovery_codes };
}

async function passwordStep(deps: FakeDeps, patient: { email: string; password: string }): Promise<MfaRequiredAnswer> {
  const answer = await signIn({ email: patient.email, password: patient.password }, CONTEXT, deps);
  if (!('mfa_required' in answer)) return expect.fail('no second step asked');
  return answer;
}

describe('setting up an authenticator app', () => {
  it('answers the secret, an otpauth URI and an SVG QR code; the secret is stored only encrypted', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps);
    const caller = await deps.tokens.verify(patient.session!.access_token, deps.clock.now());
    const enrolment = await beginTotpEnrolment(caller, CONTEXT, deps);
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauth_uri).toMatch(new RegExp(`^otpauth://totp/Clinic%20Portal:.*secret=${enrolment.secret}&algorithm=SHA1&digits=6&period=30$`));
    expect(enrolment.qr_svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(deps.cipher.encrypted.at(-1)).toEqual({ patientId: patient.patientId, fields: { totp_secret: enrolment.secret } });
    expect(JSON.stringify(await deps.totp.read(patient.patientId))).not.toContain(enrolment.secret);
    // Pending: not a second factor until a code confirms it.
    expect(await deps.secondFactors.methodsOf(patient.patientId)).toEqual([]);
  });

  it('the first code turns it on: 10 distinct recovery codes, the notice mail, the audit event', async () => {
    const { deps, patientId, recoveryCodes, email } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/);
    expect(await deps.secondFactors.methodsOf(patientId)).toEqual(['totp']);
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toContainEqual({ to: email, notice: 'authenticator_app_added' });
    expect((await deps.audit.eventsFor(patientId)).filter((e) => e.action.startsWith('totp_')).map((e) => `${e.action}:${e.outcome}`)).toEqual(['totp_enrolment:success', 'totp_enable:success']);
  });

  it('needs a sign-in within 10 minutes (step-up), and refuses a second app while one is on', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps);
    const caller = await deps.tokens.verify(patient.session!.access_token, deps.clock.now());
    deps.clock.advance(STEP_UP_MAX_AGE_SECONDS * 1000 + 1000);
    expect(await refusal(beginTotpEnrolment(caller, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    const { deps: other, caller: enrolledCaller } = await enrolled();
    // The verification sign-in is AAL1: with the app on, a step-up needs AAL2 first.
    expect(await refusal(beginTotpEnrolment(enrolledCaller, CONTEXT, other))).toBeInstanceOf(StepUpRequiredError);
  });

  it('a wrong confirmation code is refused and counted on the caller’s session lock', async () => {
    const deps = createFakeDeps();
    const patient = await registeredPatient(deps);
    const caller = await deps.tokens.verify(patient.session!.access_token, deps.clock.now());
    const { secret } = await beginTotpEnrolment(caller, CONTEXT, deps);
    const wrong = totpCodeAt(secret, totpStepAt(deps.clock.now()) + 5);
    expect(await refusal(confirmTotpEnrolment(caller, { code: wrong }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    expect((await deps.storage.loginFailures.read(attemptSubjects.session(caller.sessionId!))).failures).toBe(1);
    expect(await deps.secondFactors.methodsOf(patient.patientId)).toEqual([]);
    expect(await refusal(confirmTotpEnrolment(caller, { code: '12345' }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
  });

  it('confirming twice is a 409: the second confirmation finds nothing pending', async () => {
    const { deps, caller, code } = await enrolled();
    expect(await refusal(confirmTotpEnrolment(caller, { code: code() }, CONTEXT, deps))).toBeInstanceOf(TotpStateError);
  });
});

describe('signing in with a second factor', () => {
  it('the right password answers mfa_required with a token and the methods, and starts no session', async () => {
    const { deps, patientId, email, password } = await enrolled();
    const before = (await deps.sessions.listLive(patientId, deps.clock.now())).length;
    const answer = await passwordStep(deps, { email, password });
    expect(answer).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), methods: ['totp'] });
    expect(answer).not.toHaveProperty('access_token');
    expect(answer).not.toHaveProperty('device_token');
    expect((await deps.sessions.listLive(patientId, deps.clock.now())).length).toBe(before);
  });

  it('the code completes it: a session whose tokens say amr [pwd, otp] and AAL2', async () => {
    const { deps, patientId, email, password, code } = await enrolled();
    const { mfa_token } = await passwordStep(deps, { email, password });
    const answer = await completeMfaSignIn({ mfa_token, code: code() }, CONTEXT, deps);
    expect(answer).toMatchObject({ patient_id: patientId, token_type: 'Bearer', device_token: expect.any(String) });
    expect(decodeJwt(answer.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_AAL2 });
  });

  it('an mfa_token works once: a second completion, even with a fresh valid code, is refused', async () => {
    const { deps, email, password, code } = await enrolled();
    const { mfa_token } = await passwordStep(deps, { email, password });
    await completeMfaSignIn({ mfa_token, code: code() }, CONTEXT, deps);
    deps.clock.advance(STEP_MS);
    expect(await refusal(completeMfaSignIn({ mfa_token, code: code() }, CONTEXT, deps))).toBeInstanceOf(InvalidMfaTokenError);
  });

  it('two completions of one mfa_token at once (a code and a recovery code): exactly one gets a session', async () => {
    const { deps, email, password, code, recoveryCodes } = await enrolled();
    const { mfa_token } = await passwordStep(deps, { email, password });
    const results = await Promise.allSettled([
      completeMfaSignIn({ mfa_token, code: code() }, CONTEXT, deps),
      completeMfaSignIn({ mfa_token, recovery_code: recoveryCodes[0]! }, CONTEXT, deps),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(InvalidMfaTokenError) });
  });

  it('an mfa_token lives 5 minutes', async () => {
    const { deps, email, password, code } = await enrolled();
    const { mfa_token } = await passwordStep(deps, { email, password });
    deps.clock.advance(MFA_TOKEN_TTL_MS);
    expect(await refusal(completeMfaSignIn({ mfa_token, code: code() }, CONTEXT, deps))).toBeInstanceOf(InvalidMfaTokenError);
  });

  it('a code works once: the same code again (same period) is refused, and so is an older one', async () => {
    const { deps, email, password, code, secret } = await enrolled();
    const used = code();
    await completeMfaSignIn({ mfa_token: (await passwordStep(deps, { email, password })).mfa_token, code: used }, CONTEXT, deps);
    const second = await passwordStep(deps, { email, password });
    expect(await refusal(completeMfaSignIn({ mfa_token: second.mfa_token, code: used }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    const older = totpCodeAt(secret, totpStepAt(deps.clock.now()) - 1);
    expect(await refusal(completeMfaSignIn({ mfa_token: second.mfa_token, code: older }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    // The token was not spent by the refusals: the next code still completes it.
    deps.clock.advance(STEP_MS);
    await expect(completeMfaSignIn({ mfa_token: second.mfa_token, code: code() }, CONTEXT, deps)).resolves.toHaveProperty('access_token');
  });

  it('one step of drift either way is accepted; two steps are not', async () => {
    const { deps, email, password, secret } = await enrolled();
    deps.clock.advance(10 * STEP_MS);
    const now = totpStepAt(deps.clock.now());
    const tryCode = async (step: number) =>
      completeMfaSignIn({ mfa_token: (await passwordStep(deps, { email, password })).mfa_token, code: totpCodeAt(secret, step) }, CONTEXT, deps);
    expect(await refusal(tryCode(now - 2))).toBeInstanceOf(WrongSecondFactorError);
    await expect(tryCode(now - 1)).resolves.toHaveProperty('access_token');
    expect(await refusal(tryCode(now + 2))).toBeInstanceOf(WrongSecondFactorError);
    await expect(tryCode(now + 1)).resolves.toHaveProperty('access_token');
  });

  it('a recovery code completes a sign-in once; typed in another case and without the hyphen it still matches', async () => {
    const { deps, email, password, recoveryCodes, patientId } = await enrolled();
    const [first] = recoveryCodes as [string];
    const answer = await completeMfaSignIn({ mfa_token: (await passwordStep(deps, { email, password })).mfa_token, recovery_code: first.replace('-', '').toUpperCase() }, CONTEXT, deps);
    expect(decodeJwt(answer.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_AAL2 });
    const again = await passwordStep(deps, { email, password });
    expect(await refusal(completeMfaSignIn({ mfa_token: again.mfa_token, recovery_code: first }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    expect((await deps.totp.read(patientId))!.recoveryCodesLeft).toBe(9);
    expect((await deps.audit.eventsFor(patientId)).map((e) => e.action)).toContain('recovery_code_use');
  });

  it('wrong codes count toward the same lock as wrong passwords: with the password step, five attempts lock the account for both', async () => {
    const { deps, email, password, secret } = await enrolled();
    const { mfa_token } = await passwordStep(deps, { email, password });
    const wrong = totpCodeAt(secret, totpStepAt(deps.clock.now()) + 7);
    // The right password is the first attempt of the sequence: only the second step's success clears it.
    for (let i = 0; i < 4; i++) expect(await refusal(completeMfaSignIn({ mfa_token, code: wrong }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    expect(await refusal(completeMfaSignIn({ mfa_token, code: wrong }, CONTEXT, deps))).toBeInstanceOf(SignInLockedError);
    expect(await refusal(signIn({ email, password }, CONTEXT, deps))).toBeInstanceOf(SignInLockedError);
  });

  it('a right password does not clear the count its codes run up: rounds of password + wrong codes lock the account (review finding)', async () => {
    const { deps, email, password, secret } = await enrolled();
    const wrong = totpCodeAt(secret, totpStepAt(deps.clock.now()) + 7);
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const step = await signIn({ email, password }, CONTEXT, deps).catch((e: unknown) => e);
      if (step instanceof SignInLockedError) { outcomes.push('locked'); break; }
      const { mfa_token } = step as { mfa_token: string };
      for (let i = 0; i < 3; i++) outcomes.push(((await refusal(completeMfaSignIn({ mfa_token, code: wrong }, CONTEXT, deps))) as Error).constructor.name);
    }
    // The clock does not move: the lock from the 5th attempt on is never waited out.
    expect(outcomes).toContain('SignInLockedError');
    expect(outcomes.filter((o) => o === 'WrongSecondFactorError').length).toBeLessThan(5);
  });

  it('the second step\'s success clears the count: the patient starts afresh', async () => {
    const { deps, email, password, secret } = await enrolled();
    const wrong = totpCodeAt(secret, totpStepAt(deps.clock.now()) + 7);
    const first = await passwordStep(deps, { email, password });
    for (let i = 0; i < 3; i++) await refusal(completeMfaSignIn({ mfa_token: first.mfa_token, code: wrong }, CONTEXT, deps));
    deps.clock.advance(30_000); // the next step's code
    await completeMfaSignIn({ mfa_token: first.mfa_token, code: totpCodeAt(secret, totpStepAt(deps.clock.now())) }, CONTEXT, deps);
    const second = await passwordStep(deps, { email, password });
    for (let i = 0; i < 3; i++) expect(await refusal(completeMfaSignIn({ mfa_token: second.mfa_token, code: wrong }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
  });

  it('a password reset does not bypass the second factor: the next sign-in still asks for it', async () => {
    const { deps, email, patientId } = await enrolled();
    await requestPasswordReset(email, deps);
    await deliverDueMails(deps);
    const token = new URL(deps.mailer.resetMails.at(-1)!.resetUrl).searchParams.get('token')!;
    const newPassword = 'N3w-Passphrase!x';
    await resetPassword({ token, password: newPassword, confirm_password: newPassword }, {}, deps);
    expect(await passwordStep(deps, { email, password: newPassword })).toMatchObject({ mfa_required: true, methods: ['totp'] });
    expect(await deps.secondFactors.methodsOf(patientId)).toEqual(['totp']);
  });

  it('a password reset between the two steps makes the pending mfa_token worthless', async () => {
    const { deps, email, password, code } = await enrolled();
    const { mfa_token } = await passwordStep(deps, { email, password });
    await requestPasswordReset(email, deps);
    await deliverDueMails(deps);
    const token = new URL(deps.mailer.resetMails.at(-1)!.resetUrl).searchParams.get('token')!;
    await resetPassword({ token, password: 'N3w-Passphrase!x', confirm_password: 'N3w-Passphrase!x' }, {}, deps);
    expect(await refusal(completeMfaSignIn({ mfa_token, code: code() }, CONTEXT, deps))).toBeInstanceOf(InvalidMfaTokenError);
  });
});

describe('removing the authenticator app', () => {
  async function aal2Session(deps: FakeDeps, patient: { email: string; password: string }, code: () => string) {
    const answer = await completeMfaSignIn({ mfa_token: (await passwordStep(deps, patient)).mfa_token, code: code() }, CONTEXT, deps);
    deps.clock.advance(STEP_MS);
    return { answer, caller: await deps.tokens.verify(answer.access_token, deps.clock.now()) };
  }

  it('needs AAL2 and a code; removes it with the notice, ends the other sessions, and sign-in is a password again', async () => {
    const { deps, email, password, code, patientId, caller: aal1 } = await enrolled();
    expect(await refusal(removeTotp(aal1, { code: code() }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    const other = await aal2Session(deps, { email, password }, code);
    const { caller } = await aal2Session(deps, { email, password }, code);
    expect(await refusal(removeTotp(caller, { code: '000000' }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    await removeTotp(caller, { code: code() }, CONTEXT, deps);
    expect(await deps.secondFactors.methodsOf(patientId)).toEqual([]);
    expect(await deps.sessions.isLive({ patientId, familyId: other.caller.sessionId! }, deps.clock.now())).toBe(false);
    expect(await deps.sessions.isLive({ patientId, familyId: caller.sessionId! }, deps.clock.now())).toBe(true);
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toContainEqual({ to: email, notice: 'authenticator_app_removed' });
    expect(await signIn({ email, password }, CONTEXT, deps)).toHaveProperty('access_token');
    expect(await refusal(removeTotp(caller, { code: code() }, CONTEXT, deps))).toBeInstanceOf(TotpStateError);
  });

  it('a removal that fails after the sessions ended leaves none of them alive, and the retry completes it (review finding)', async () => {
    const { deps, email, password, code, patientId } = await enrolled();
    const other = await aal2Session(deps, { email, password }, code);
    const { caller } = await aal2Session(deps, { email, password }, code);
    const remove = deps.totp.remove.bind(deps.totp);
    deps.totp.remove = () => Promise.reject(new Error('store unavailable'));
    await expect(removeTotp(caller, { code: code() }, CONTEXT, deps)).rejects.toThrow('store unavailable');
    expect(await deps.sessions.isLive({ patientId, familyId: other.caller.sessionId! }, deps.clock.now())).toBe(false);
    deps.totp.remove = remove;
    deps.clock.advance(STEP_MS);
    await removeTotp(caller, { code: code() }, CONTEXT, deps);
    expect(await deps.secondFactors.methodsOf(patientId)).toEqual([]);
  });

  it('in a session at AAL2, a right current password does not clear the count its removal codes ran up (review finding)', async () => {
    const { deps, email, password, code } = await enrolled();
    const { caller } = await aal2Session(deps, { email, password }, code);
    for (let i = 0; i < 3; i++) expect(await refusal(removeTotp(caller, { code: '000000' }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    // A right password that changes nothing (the address it already has) must not reset the guesses.
    expect(await refusal(requestEmailMove(caller, { email, password }, CONTEXT, deps))).toBeInstanceOf(SameContactError);
    // Counted so far: 3 codes and the password; the 5th attempt is answered, and from then on the session waits.
    expect(await refusal(removeTotp(caller, { code: '000000' }, CONTEXT, deps))).toBeInstanceOf(WrongSecondFactorError);
    expect(await refusal(removeTotp(caller, { code: '000000' }, CONTEXT, deps))).toBeInstanceOf(SignInLockedError);
  });

  it('a recovery code removes it too', async () => {
    const { deps, email, password, code, patientId, recoveryCodes } = await enrolled();
    const { caller } = await aal2Session(deps, { email, password }, code);
    await removeTotp(caller, { recovery_code: recoveryCodes[3]! }, CONTEXT, deps);
    expect(await deps.secondFactors.methodsOf(patientId)).toEqual([]);
  });
});
