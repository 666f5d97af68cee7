import { describe, expect, it } from 'vitest';
import { attemptSubjects } from '../../lib/auth/lockout-policy.js';
import { startSession } from '../../lib/auth/session-issuer.js';
import { DuplicateRegistrationError, GonePhoneCodeError, SameContactError, SignInRefusedError, TooManyRequestsError, WrongCurrentPasswordError, WrongPhoneCodeError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { sendPhoneCode } from '../../lib/phone/send-phone-code.js';
import { verifyPhone } from '../../lib/phone/verify-phone.js';
import { requestPhoneMove, verifyPhoneMove } from '../../lib/record/move-phone.js';
import { createFakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const WRONG = 'Wrong-Passphrase1!';
const NEW_PHONE = '+442079460958';

async function signedIn() {
  const deps = createFakeDeps();
  const { patientId, email, password, body } = await registeredPatient(deps);
  const current = await startSession(patientId, deps);
  const caller = await deps.tokens.verify(current.tokens.access_token, deps.clock.now());
  const ask = (phone_number = NEW_PHONE, given = password) => requestPhoneMove(caller, { phone_number, password: given }, CONTEXT, deps);
  const verify = (code: string) => verifyPhoneMove(caller, { code }, CONTEXT, deps);
  return { deps, patientId, email, password, body, caller, ask, verify };
}

/** A patient that proved its number by SMS (POST /phone/verification, POST /phone/verify). */
async function provenPatient(deps: ReturnType<typeof createFakeDeps>, overrides: Parameters<typeof registeredPatient>[1] = {}) {
  const registered = await registeredPatient(deps, overrides);
  const caller = await deps.tokens.verify((await startSession(registered.patientId, deps)).tokens.access_token, deps.clock.now());
  await sendPhoneCode(caller, CONTEXT, deps);
  await verifyPhone(caller, await textedCode(deps, registered.body.phone_number), CONTEXT, deps);
  return { ...registered, caller };
}

/** The code of the newest text, once the outbox sent it. */
async function textedCode(deps: ReturnType<typeof createFakeDeps>, to: string) {
  await deliverDueMails(deps);
  const text = deps.sms.sent.filter((t) => t.to === to).at(-1)!;
  return /\b(\d{6})\b/.exec(text.body)![1]!;
}
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('requestPhoneMove (POST /me/phone)', () => {
  it('texts a code to the new number, normalized as at registration; nothing moves yet', async () => {
    const { deps, patientId, ask } = await signedIn();
    const before = deps.repository.readPatient(patientId)!;
    await ask('+44 (0)20 7946 0958');
    await textedCode(deps, NEW_PHONE);
    expect(deps.repository.readPatient(patientId)).toEqual(before);
  });

  it('a wrong password: 401, no text, counted toward the session\'s lock only', async () => {
    const { deps, patientId, caller, ask } = await signedIn();
    await expect(ask(NEW_PHONE, WRONG)).rejects.toBeInstanceOf(WrongCurrentPasswordError);
    await deliverDueMails(deps);
    expect(deps.sms.sent).toEqual([]);
    expect((await deps.storage.loginFailures.read(attemptSubjects.session(caller.sessionId!))).failures).toBe(1);
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patientId))).toEqual({ failures: 0 });
  });

  it('a number another account proved: 422 on phone_number, as registration; its own number: 422; closed: 403', async () => {
    const { deps, patientId, body, ask } = await signedIn();
    const other = await provenPatient(deps);
    const textsBefore = deps.sms.sent.length;
    await expect(ask(other.body.phone_number)).rejects.toBeInstanceOf(DuplicateRegistrationError);
    await expect(ask(body.phone_number)).rejects.toBeInstanceOf(SameContactError);
    deps.repository.setActive(patientId, false);
    await expect(ask()).rejects.toBeInstanceOf(SignInRefusedError);
    await deliverDueMails(deps);
    expect(deps.sms.sent).toHaveLength(textsBefore);
  });

  it('a number another account holds unproven (issue 19 item 4): as good as free, the code is texted to it', async () => {
    const { deps, ask } = await signedIn();
    const squatter = await registeredPatient(deps, { overrides: { phone_number: NEW_PHONE } });
    await ask();
    await textedCode(deps, NEW_PHONE);
    expect(deps.repository.readPatient(squatter.patientId)).toMatchObject({ phone_number: NEW_PHONE, phone_verified: false });
    expect(deps.repository.readPatient(squatter.patientId)!.phone_number_released).toBeUndefined();
  });

  it('the phone verification\'s limit: 3 codes in any hour', async () => {
    const { ask } = await signedIn();
    for (let i = 0; i < 3; i++) await ask();
    await expect(ask()).rejects.toBeInstanceOf(TooManyRequestsError);
  });
});

describe('verifyPhoneMove (POST /me/phone/verify)', () => {
  it('the right code swaps number and reservation, phone_verified, a new version, the address told', async () => {
    const { deps, patientId, email, body, ask, verify } = await signedIn();
    await ask();
    const code = await textedCode(deps, NEW_PHONE);
    const before = deps.repository.readPatient(patientId)!;
    deps.clock.advance(1000);
    await verify(code);
    expect(deps.repository.readPatient(patientId)).toEqual({ ...before, phone_number: NEW_PHONE, phone_verified: true, updated_at: deps.clock.now().toISOString() });
    expect(await deps.repository.findTakenIdentifiers('', body.phone_number)).toEqual({ email: false, phone: false });
    expect(await deps.repository.findTakenIdentifiers('', NEW_PHONE)).toEqual({ email: false, phone: true });
    await deliverDueMails(deps);
    expect(deps.mailer.notices.at(-1)).toEqual({ to: email, notice: 'phone_moved' });
    await expect(verify(code)).rejects.toBeInstanceOf(GonePhoneCodeError);
  });

  it('wrong codes count like phone verification: 5, then even the right one is spent', async () => {
    const { deps, patientId, ask, verify } = await signedIn();
    await ask();
    const code = await textedCode(deps, NEW_PHONE);
    await expect(verify(otherCode(code))).rejects.toMatchObject({ triesLeft: 4 });
    for (let i = 0; i < 4; i++) await verify(otherCode(code)).catch((e: unknown) => expect(e).toBeInstanceOf(WrongPhoneCodeError));
    await expect(verify(code)).rejects.toMatchObject({ reason: 'exhausted' });
    expect(deps.repository.readPatient(patientId)!.phone_number).not.toBe(NEW_PHONE);
  });

  it('a number registered and proven meanwhile: 422 on phone_number, nothing written', async () => {
    const { deps, patientId, ask, verify } = await signedIn();
    await ask();
    const code = await textedCode(deps, NEW_PHONE);
    const before = deps.repository.readPatient(patientId)!;
    await provenPatient(deps, { overrides: { phone_number: NEW_PHONE } });
    await expect(verify(code)).rejects.toBeInstanceOf(DuplicateRegistrationError);
    expect(deps.repository.readPatient(patientId)).toEqual(before);
  });

  it('possession wins (issue 19 item 4): the right code takes the number from its unproven holder, who is released, told and audited', async () => {
    const { deps, patientId, ask, verify } = await signedIn();
    const squatter = await registeredPatient(deps, { overrides: { phone_number: NEW_PHONE } });
    await ask();
    await verify(await textedCode(deps, NEW_PHONE));
    expect(deps.repository.readPatient(patientId)).toMatchObject({ phone_number: NEW_PHONE, phone_verified: true });
    expect(deps.repository.readPatient(squatter.patientId)).toMatchObject({ phone_number_released: true, phone_verified: false });
    expect(await deps.repository.findPhoneHolder(NEW_PHONE)).toMatchObject({ id: patientId, phone_verified: true });
    await deliverDueMails(deps);
    expect(deps.mailer.notices.filter((m) => m.to === squatter.email)).toEqual([{ to: squatter.email, notice: 'phone_number_taken_over' }]);
    const trail = await deps.audit.eventsFor(squatter.patientId);
    expect(trail.find((e) => e.reason === 'phone_taken_over')).toMatchObject({ action: 'record_update', outcome: 'success', fields: ['phone_number'] });
    expect(JSON.stringify(trail)).not.toContain(NEW_PHONE);
  });

  it('an unproven holder that proves the number before the code comes back keeps it: 422, nothing written, no notice', async () => {
    const { deps, patientId, ask, verify } = await signedIn();
    const squatter = await registeredPatient(deps, { overrides: { phone_number: NEW_PHONE } });
    await ask();
    const code = await textedCode(deps, NEW_PHONE);
    const squatterCaller = await deps.tokens.verify((await startSession(squatter.patientId, deps)).tokens.access_token, deps.clock.now());
    await sendPhoneCode(squatterCaller, CONTEXT, deps);
    await verifyPhone(squatterCaller, await textedCode(deps, NEW_PHONE), CONTEXT, deps);
    const [before, squatterBefore] = [deps.repository.readPatient(patientId)!, deps.repository.readPatient(squatter.patientId)!];
    await expect(verify(code)).rejects.toBeInstanceOf(DuplicateRegistrationError);
    expect(deps.repository.readPatient(patientId)).toEqual(before);
    expect(deps.repository.readPatient(squatter.patientId)).toEqual(squatterBefore);
    await deliverDueMails(deps);
    expect(deps.mailer.notices.filter((m) => m.to === squatter.email)).toEqual([]);
  });

  it('a move code does not verify the old number through POST /phone/verify, nor a verification code move it', async () => {
    const { deps, patientId, caller, ask, verify } = await signedIn();
    await ask();
    const moveCode = await textedCode(deps, NEW_PHONE);
    await expect(verifyPhone(caller, moveCode, CONTEXT, deps)).rejects.toMatchObject({ reason: 'none' });
    expect(deps.repository.readPatient(patientId)!.phone_verified).toBe(false);
    await sendPhoneCode(caller, CONTEXT, deps);
    const verifyCode = await textedCode(deps, deps.repository.readPatient(patientId)!.phone_number);
    await expect(verify(verifyCode)).rejects.toMatchObject({ reason: 'none' });
    expect(deps.repository.readPatient(patientId)!.phone_number).not.toBe(NEW_PHONE);
  });
});
