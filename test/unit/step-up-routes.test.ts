import { describe, expect, it } from 'vitest';
import { TWO_FACTOR_SIGN_IN } from '../../lib/auth/assurance.js';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { STEP_UP_MAX_AGE_SECONDS } from '../../lib/auth/step-up.js';
import { totpCodeAt, totpStepAt } from '../../lib/auth/totp.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../../lib/auth/totp-enrolment.js';
import { StepUpRequiredError } from '../../lib/errors.js';
import { changePassword } from '../../lib/password/change-password.js';
import { validateProfile } from '../../lib/patient/generated/me-update.js';
import { closeAccount } from '../../lib/record/close-account.js';
import { exportOwnRecord } from '../../lib/record/export-record.js';
import { requestEmailMove } from '../../lib/record/move-email.js';
import { requestPhoneMove } from '../../lib/record/move-phone.js';
import { updateProfile } from '../../lib/record/update-profile.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const NEW = 'Ch4nged-Passphrase!';
const refusal = (promise: Promise<unknown>) => promise.then(() => expect.fail('accepted'), (e: unknown) => e);
const callerOf = async (deps: FakeDeps, token: string) => deps.tokens.verify(token, deps.clock.now());

async function patient(deps = createFakeDeps()) {
  const registered = await registeredPatient(deps);
  return { deps, ...registered, caller: await callerOf(deps, registered.session!.access_token) };
}

async function withAuthenticatorApp() {
  const p = await patient();
  const { secret } = await beginTotpEnrolment(p.caller, CONTEXT, p.deps);
  await confirmTotpEnrolment(p.caller, { code: totpCodeAt(secret, totpStepAt(p.deps.clock.now())) }, CONTEXT, p.deps);
  const aal2 = await startSession(p.patientId, p.deps, undefined, { amr: TWO_FACTOR_SIGN_IN, authTime: p.deps.clock.now() });
  return { ...p, aal2: await callerOf(p.deps, aal2.tokens.access_token) };
}

describe('step-up on the sensitive routes (issue 21)', () => {
  it('a password change needs a sign-in within 10 minutes (audited as step_up); a fresh one passes', async () => {
    const { deps, caller, password, patientId } = await patient();
    deps.clock.advance(STEP_UP_MAX_AGE_SECONDS * 1000 + 1000);
    const old = await refusal(changePassword(caller, { current_password: password, password: NEW, confirm_password: NEW }, CONTEXT, deps));
    expect(old).toBeInstanceOf(StepUpRequiredError);
    expect((await deps.audit.eventsFor(patientId)).filter((e) => e.action === 'password_change').map((e) => e.reason)).toEqual(['step_up']);
    const fresh = await startSession(patientId, deps);
    await changePassword(await callerOf(deps, fresh.tokens.access_token), { current_password: password, password: NEW, confirm_password: NEW }, CONTEXT, deps);
  });

  it('with a second factor held, a password change and closing the account need AAL2', async () => {
    const { deps, caller, aal2, password } = await withAuthenticatorApp();
    expect(await refusal(changePassword(caller, { current_password: password, password: NEW, confirm_password: NEW }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    expect(await refusal(closeAccount(caller, { password }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    await closeAccount(aal2, { password }, CONTEXT, deps);
  });

  it('moving the email or the phone and the export need a sign-in within 10 minutes: refused (audited), nothing mailed or texted', async () => {
    const { deps, caller, password, patientId } = await patient();
    deps.clock.advance(STEP_UP_MAX_AGE_SECONDS * 1000 + 1000);
    const dueBefore = (await deps.outbox.listDue(deps.clock.now(), 1000)).length;
    expect(await refusal(requestEmailMove(caller, { email: 'someone.new@email.com', password }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    expect(await refusal(requestPhoneMove(caller, { phone_number: '+12025550143', password }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    expect(await refusal(exportOwnRecord(caller, CONTEXT, { ...deps, trail: deps.audit }))).toBeInstanceOf(StepUpRequiredError);
    expect(await deps.outbox.listDue(deps.clock.now(), 1000)).toHaveLength(dueBefore);
    const reasons = (await deps.audit.eventsFor(patientId)).filter((e) => ['email_move_request', 'phone_move_request', 'record_export'].includes(e.action));
    expect(reasons.map((e) => [e.action, e.reason])).toEqual([['email_move_request', 'step_up'], ['phone_move_request', 'step_up'], ['record_export', 'step_up']]);
    const fresh = await callerOf(deps, (await startSession(patientId, deps)).tokens.access_token);
    await expect(exportOwnRecord(fresh, CONTEXT, { ...deps, trail: deps.audit })).resolves.toHaveProperty('record');
  });

  it('with a second factor held, moving the email or the phone and the export need AAL2; requireMfa makes the export refuse AAL1 too', async () => {
    const { deps, caller, aal2, password } = await withAuthenticatorApp();
    expect(await refusal(requestEmailMove(caller, { email: 'someone.new@email.com', password }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    expect(await refusal(requestPhoneMove(caller, { phone_number: '+12025550143', password }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
    expect(await refusal(exportOwnRecord(caller, CONTEXT, { ...deps, trail: deps.audit }))).toBeInstanceOf(StepUpRequiredError);
    await expect(exportOwnRecord(aal2, CONTEXT, { ...deps, trail: deps.audit, requireMfa: true })).resolves.toHaveProperty('record');
    const plain = await patient();
    expect(await refusal(exportOwnRecord(plain.caller, CONTEXT, { ...plain.deps, trail: plain.deps.audit, requireMfa: true }))).toBeInstanceOf(StepUpRequiredError);
  });

  it('closing the account needs a recent sign-in', async () => {
    const { deps, caller, password } = await patient();
    deps.clock.advance(STEP_UP_MAX_AGE_SECONDS * 1000 + 1000);
    expect(await refusal(closeAccount(caller, { password }, CONTEXT, deps))).toBeInstanceOf(StepUpRequiredError);
  });
});

describe('requireMfa (a stage setting, off by default)', () => {
  it('off: GET /me and PATCH /me answer an AAL1 sign-in, however old', async () => {
    const { deps, caller } = await patient();
    deps.clock.advance(14 * 60_000);
    await expect(readOwnRecord(caller, CONTEXT, deps)).resolves.toHaveProperty('id');
  });

  it('on: GET /me and PATCH /me refuse AAL1 with the step-up 401 naming AAL2; AAL2 reads and writes', async () => {
    const { deps, caller, aal2 } = await withAuthenticatorApp();
    const strict = { ...deps, requireMfa: true, validateProfile };
    expect(await refusal(readOwnRecord(caller, CONTEXT, strict))).toBeInstanceOf(StepUpRequiredError);
    expect(await refusal(updateProfile(caller, { ifMatch: '*', patch: { first_name: 'Janet' } }, CONTEXT, strict))).toBeInstanceOf(StepUpRequiredError);
    await expect(readOwnRecord(aal2, CONTEXT, strict)).resolves.toHaveProperty('id');
    await expect(updateProfile(aal2, { ifMatch: '*', patch: { first_name: 'Janet' } }, CONTEXT, strict)).resolves.toHaveProperty('etag');
  });

  it('on: a patient without a factor can still set one up (the setting never locks the owner out)', async () => {
    const { deps, caller } = await patient();
    await expect(beginTotpEnrolment(caller, CONTEXT, { ...deps, requireMfa: true } as FakeDeps)).resolves.toHaveProperty('qr_svg');
  });
});
