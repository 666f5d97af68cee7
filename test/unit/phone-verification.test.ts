import { describe, expect, it } from 'vitest';
import { GonePhoneCodeError, PhoneAlreadyVerifiedError, SignInRefusedError, TooManyRequestsError, WrongPhoneCodeError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { newPhoneCode } from '../../lib/phone/phone-code.js';
import { sendPhoneCode } from '../../lib/phone/send-phone-code.js';
import { verifyPhone } from '../../lib/phone/verify-phone.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const callerOf = async (deps: FakeDeps, patientId: string) => deps.tokens.verify((await deps.tokens.issue(patientId, deps.clock.now())).token, deps.clock.now());

/** A signed-in patient who asked for a code; the code is read from the SMS the outbox sent. */
async function withCode(deps = createFakeDeps()) {
  const { patientId, body } = await registeredPatient(deps);
  const caller = await callerOf(deps, patientId);
  await sendPhoneCode(caller, CONTEXT, deps);
  await deliverDueMails(deps);
  const code = /\b(\d{6})\b/.exec(deps.sms.sent.at(-1)!.body)![1]!;
  return { deps, patientId, caller, code, phone: body.phone_number };
}

// The issue's numbers, written out: a changed constant must turn these red.
const MAX_WRONG_TRIES = 5;
const CODES_PER_HOUR = 3;
const PHONE_CODE_TTL_MS = 10 * 60_000;

const wrongOf = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('newPhoneCode', () => {
  it('is six digits, leading zeros kept', () => {
    for (let i = 0; i < 200; i++) expect(newPhoneCode()).toMatch(/^\d{6}$/);
  });
});

describe('sendPhoneCode (POST /phone/verification)', () => {
  it('queues an SMS with a 6-digit code to the stored phone number, which the outbox sends once', async () => {
    const { deps, code, phone } = await withCode();
    expect(deps.sms.sent).toEqual([{ to: phone, body: expect.stringContaining(code) }]);
    expect(await deps.outbox.listDue(new Date(8.64e15), 100)).toEqual([]);
  });

  it('stores only a keyed digest of the code, bound to the patient', async () => {
    const { deps, patientId, code } = await withCode();
    const stored = deps.phoneCodes.codeOf(patientId)!;
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(stored.digest).toBe(await deps.identifiers.current('phone-code', `${patientId}:${code}`));
    expect(stored.digest).not.toBe(await deps.identifiers.current('phone-code', `someone-else:${code}`));
  });

  it('the SMS text (it holds the code) is forgotten once sent', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    await sendPhoneCode(await callerOf(deps, patientId), CONTEXT, deps);
    const [id] = await deps.outbox.listDue(deps.clock.now(), 10);
    expect(deps.outbox.textOf(id!)).toMatch(/\d{6}/);
    await deliverDueMails(deps);
    expect(deps.outbox.textOf(id!)).toBe('');
  });

  it('an SMS outage loses nothing: the SMS stays in the outbox and is sent by a later attempt', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    await sendPhoneCode(await callerOf(deps, patientId), CONTEXT, deps);
    deps.sms.failing = true;
    expect(await deliverDueMails(deps)).toMatchObject({ failed: 1 });
    deps.sms.failing = false;
    deps.clock.advance(30_000);
    expect(await deliverDueMails(deps)).toMatchObject({ sent: 1 });
    expect(deps.sms.sent).toHaveLength(1);
  });

  it(`at most ${CODES_PER_HOUR} codes per patient per hour, then 429 with Retry-After; the next hour works again`, async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    deps.clock.set(new Date('2025-06-01T13:00:00.000Z'));
    const caller = await callerOf(deps, patientId);
    for (let i = 0; i < CODES_PER_HOUR; i++) await sendPhoneCode(caller, CONTEXT, deps);
    deps.clock.advance(600_000);
    const refused = await sendPhoneCode(caller, CONTEXT, deps).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(3000);
    deps.clock.advance(3000_000);
    await expect(sendPhoneCode(caller, CONTEXT, deps)).resolves.toBeUndefined();
  });

  it(`no clock-hour boundary doubles it: ${CODES_PER_HOUR} codes at 12:59 leave none at 13:00:30, so at most ${CODES_PER_HOUR * MAX_WRONG_TRIES} guesses in any hour`, async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    deps.clock.set(new Date('2025-06-01T12:59:00.000Z'));
    const caller = await callerOf(deps, patientId);
    let guesses = 0;
    const guessAll = async () => {
      for (;;) {
        const answer = await verifyPhone(caller, '000000', CONTEXT, deps).catch((e: unknown) => e);
        if (!(answer instanceof WrongPhoneCodeError)) return;
        guesses++;
      }
    };
    for (let i = 0; i < CODES_PER_HOUR; i++) {
      await sendPhoneCode(caller, CONTEXT, deps);
      await guessAll();
      deps.clock.advance(10_000);
    }
    deps.clock.set(new Date('2025-06-01T13:00:30.000Z'));
    const refused = await sendPhoneCode(caller, CONTEXT, deps).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(3600 - 90); // until the 12:59:00 code is an hour old
    await guessAll();
    expect(guesses).toBeLessThanOrEqual(CODES_PER_HOUR * MAX_WRONG_TRIES);
    deps.clock.set(new Date('2025-06-01T13:59:00.000Z'));
    await expect(sendPhoneCode(caller, CONTEXT, deps)).resolves.toBeUndefined();
  });

  it('a new code replaces the older one: the older code no longer works', async () => {
    const { deps, caller, code: first, patientId } = await withCode();
    await sendPhoneCode(caller, CONTEXT, deps);
    await deliverDueMails(deps);
    const second = /\b(\d{6})\b/.exec(deps.sms.sent.at(-1)!.body)![1]!;
    if (first !== second) await expect(verifyPhone(caller, first, CONTEXT, deps)).rejects.toBeInstanceOf(WrongPhoneCodeError);
    await verifyPhone(caller, second, CONTEXT, deps);
    expect(deps.repository.readPatient(patientId)!.phone_verified).toBe(true);
  });

  it('an already verified phone gets 409 and no SMS', async () => {
    const { deps, caller, code } = await withCode();
    await verifyPhone(caller, code, CONTEXT, deps);
    await expect(sendPhoneCode(caller, CONTEXT, deps)).rejects.toBeInstanceOf(PhoneAlreadyVerifiedError);
    await deliverDueMails(deps);
    expect(deps.sms.sent).toHaveLength(1);
  });

  it('a deactivated patient gets 403, no code, and the refusal is audited', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    deps.repository.setActive(patientId, false);
    await expect(sendPhoneCode(await callerOf(deps, patientId), CONTEXT, deps)).rejects.toBeInstanceOf(SignInRefusedError);
    expect(await deps.outbox.listDue(deps.clock.now(), 10)).toEqual([]);
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'phone_code_sent', outcome: 'failure', reason: 'inactive' });
  });

  it('a code sent is audited', async () => {
    const { deps, patientId } = await withCode();
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'phone_code_sent', outcome: 'success', patientId, requestId: CONTEXT.requestId });
  });
});

describe('verifyPhone (POST /phone/verify)', () => {
  it('the right code verifies the phone (phone_verified true), once, and is audited', async () => {
    const { deps, caller, code, patientId } = await withCode();
    await verifyPhone(caller, code, CONTEXT, deps);
    expect(deps.repository.readPatient(patientId)!.phone_verified).toBe(true);
    expect(deps.phoneCodes.codeOf(patientId)).toBeUndefined();
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'phone_verification', outcome: 'success', patientId });
  });

  it('a wrong code is 422 with the tries left, counted down to 0, then the code is exhausted (410), even the right one', async () => {
    const { deps, caller, code, patientId } = await withCode();
    for (let left = MAX_WRONG_TRIES - 1; left >= 0; left--) {
      const error = await verifyPhone(caller, wrongOf(code), CONTEXT, deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongPhoneCodeError);
      expect((error as WrongPhoneCodeError).triesLeft).toBe(left);
      expect((error as WrongPhoneCodeError).errors.code![0]).toContain(left > 0 ? `${left} tr` : 'No tries left');
    }
    const gone = await verifyPhone(caller, code, CONTEXT, deps).catch((e: unknown) => e);
    expect(gone).toEqual(new GonePhoneCodeError('exhausted'));
    expect(deps.repository.readPatient(patientId)!.phone_verified).toBe(false);
    expect((await deps.audit.eventsFor(patientId)).filter((e) => e.reason === 'wrong_code')).toHaveLength(MAX_WRONG_TRIES);
  });

  it('a code works until just before 10 minutes, and is expired (410) from then on', async () => {
    const early = await withCode();
    early.deps.clock.advance(PHONE_CODE_TTL_MS - 1000);
    await expect(verifyPhone(early.caller, early.code, CONTEXT, early.deps)).resolves.toBeUndefined();
    const late = await withCode();
    late.deps.clock.advance(PHONE_CODE_TTL_MS);
    const gone = await verifyPhone(late.caller, late.code, CONTEXT, late.deps).catch((e: unknown) => e);
    expect(gone).toEqual(new GonePhoneCodeError('expired'));
    expect((gone as GonePhoneCodeError).statusCode).toBe(410);
  });

  it('no code issued is 410 (none), audited', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    const gone = await verifyPhone(await callerOf(deps, patientId), '123456', CONTEXT, deps).catch((e: unknown) => e);
    expect(gone).toEqual(new GonePhoneCodeError('none'));
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'phone_verification', outcome: 'failure', reason: 'no_code' });
  });

  it('another patient\'s code does not verify this patient', async () => {
    const deps = createFakeDeps();
    const a = await withCode(deps);
    const { patientId: other } = await registeredPatient(deps);
    const otherCaller = await callerOf(deps, other);
    await sendPhoneCode(otherCaller, CONTEXT, deps);
    await expect(verifyPhone(otherCaller, a.code, CONTEXT, deps)).rejects.toThrow();
    expect(deps.repository.readPatient(other)!.phone_verified).toBe(false);
  });

  it('an already verified phone answers success again whatever the code (idempotent)', async () => {
    const { deps, caller, code } = await withCode();
    await verifyPhone(caller, code, CONTEXT, deps);
    await expect(verifyPhone(caller, code, CONTEXT, deps)).resolves.toBeUndefined();
    await expect(verifyPhone(caller, wrongOf(code), CONTEXT, deps)).resolves.toBeUndefined();
  });

  it('an already verified phone tries no code at all (a code left in the store is not counted against)', async () => {
    const { deps, caller, code, patientId } = await withCode();
    await verifyPhone(caller, code, CONTEXT, deps);
    const now = deps.clock.now();
    await deps.phoneCodes.issueCode(
      { patientId, codeId: 'c', digest: 'v1.x', expiresAt: new Date(now.getTime() + 60_000), createdAt: now },
      { kind: 'phone_code_sms', id: 'sms-left-over', patientId, to: '+12025550100', text: 'x', createdAt: now.toISOString() },
    );
    await expect(verifyPhone(caller, wrongOf(code), CONTEXT, deps)).resolves.toBeUndefined();
    expect(deps.phoneCodes.codeOf(patientId)!.failures).toBe(0);
  });

  it('a deactivated patient gets 403 and the code is not tried', async () => {
    const { deps, caller, code, patientId } = await withCode();
    deps.repository.setActive(patientId, false);
    await expect(verifyPhone(caller, code, CONTEXT, deps)).rejects.toBeInstanceOf(SignInRefusedError);
    expect(deps.repository.readPatient(patientId)!.phone_verified).toBe(false);
    expect(deps.phoneCodes.codeOf(patientId)).toBeDefined();
  });

  it('concurrent tries: each wrong one counts, exactly one right one wins and both answer success', async () => {
    const { deps, caller, code, patientId } = await withCode();
    const wrong = await Promise.allSettled([1, 2, 3].map(() => verifyPhone(caller, wrongOf(code), CONTEXT, deps)));
    expect(wrong.every((r) => r.status === 'rejected')).toBe(true);
    expect(deps.phoneCodes.codeOf(patientId)!.failures).toBe(3);
    await Promise.all([verifyPhone(caller, code, CONTEXT, deps), verifyPhone(caller, code, CONTEXT, deps)]);
    expect((await deps.audit.eventsFor(patientId)).filter((e) => e.action === 'phone_verification' && e.outcome === 'success')).toHaveLength(1);
  });
});
