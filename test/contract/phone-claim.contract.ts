import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DuplicateRegistrationError, PhoneClaimCodeError } from '../../lib/errors.js';
import type { OutboxSms } from '../../lib/outbox/ports.js';
import type { AccountNoticeMail, OutboxMail, PatientRecord, PhoneTakeover, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { PhoneClaimRecord } from '../../lib/phone/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface PhoneClaimContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord, token?: VerificationTokenRecord, mail?: OutboxMail) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
  tokenFor: (patient: PatientRecord) => VerificationTokenRecord;
  mailFor: (patient: PatientRecord) => OutboxMail;
}

const MAX = 5;
const MINUTE = 60_000;
const digest = () => `v1.${randomBytes(32).toString('hex')}`;

/**
 * Possession of a number wins (issue 19 item 4): claim codes, and a registration that spends one and
 * takes the number from its unproven holder, in one transaction. The same on every store.
 */
export function describePhoneClaimContract(ctx: PhoneClaimContext): void {
  const store = () => ctx.store();
  // Real time: the stores judge a lapse and a free reservation by their own clock.
  const now = new Date();
  const at = (ms: number) => new Date(now.getTime() + ms);

  async function claimed(phone: string, holderId: string) {
    const claim: PhoneClaimRecord = { claimKey: `claim-${randomUUID()}`, codeId: randomUUID(), digest: digest(), expiresAt: at(10 * MINUTE), createdAt: now };
    const sms: OutboxSms = { kind: 'phone_code_sms', id: randomUUID(), patientId: holderId, to: phone, text: '123456 is your code', createdAt: now.toISOString() };
    await store().phoneCodes.issueClaim(claim, sms);
    return claim;
  }

  const notice = (holder: Pick<PatientRecord, 'id' | 'email'>): AccountNoticeMail =>
    ({ kind: 'account_notice_email', id: randomUUID(), patientId: holder.id, to: holder.email, notice: 'phone_number_taken_over', createdAt: now.toISOString() });

  /** A held number (unproven unless told), its claim, and a new patient that registers it with the claim. */
  async function takeoverOf({ proven = false } = {}) {
    // Unverified and lapsing, as a squatter's registration is: verifying it lifts the lapse from its reservations.
    const fixture = ctx.patientFixture({ lapses_at: at(7 * 24 * 60 * MINUTE).toISOString() });
    // A link still usable now (the fixtures' default expiry is the fixed registration day's).
    const { patient: holder, token: holderToken } = await ctx.create(fixture, { ...ctx.tokenFor(fixture), expiresAt: at(60 * MINUTE) });
    if (proven) {
      await store().phoneCodes.issueCode({ patientId: holder.id, codeId: randomUUID(), digest: 'proof', expiresAt: at(MINUTE), createdAt: now }, {
        kind: 'phone_code_sms', id: randomUUID(), patientId: holder.id, to: holder.phone_number, text: '000000', createdAt: now.toISOString(),
      });
      expect(await store().phoneCodes.attemptCode(holder.id, ['proof'], now, MAX)).toEqual({ outcome: 'verified' });
    }
    const claim = await claimed(holder.phone_number, holder.id);
    const attempt = await store().phoneCodes.attemptClaim(claim.claimKey, [claim.digest], now, MAX);
    expect(attempt).toEqual({ outcome: 'valid', codeId: claim.codeId });
    const newcomer = () => ctx.patientFixture({ phone_number: holder.phone_number, phone_verified: true });
    const takeover: PhoneTakeover = { claimKey: claim.claimKey, codeId: claim.codeId, now, maxWrongTries: MAX, holder: { id: holder.id, notice: notice(holder) } };
    const register = (patient = newcomer(), over = takeover) => store().repository.createPatient(patient, ctx.tokenFor(patient), ctx.mailFor(patient), over);
    return { holder, holderToken, claim, takeover, newcomer, register };
  }

  describe('phone claim codes', () => {
    it('a right code is valid (and only checked: still valid); wrong tries count down, then even the right one is exhausted', async () => {
      const { patient } = await ctx.create();
      const claim = await claimed(patient.phone_number, patient.id);
      expect(await store().phoneCodes.attemptClaim(claim.claimKey, [digest(), claim.digest], at(MINUTE), MAX)).toEqual({ outcome: 'valid', codeId: claim.codeId });
      expect(await store().phoneCodes.attemptClaim(claim.claimKey, [claim.digest], at(MINUTE), MAX)).toEqual({ outcome: 'valid', codeId: claim.codeId });
      for (let left = MAX - 1; left >= 0; left--) {
        expect(await store().phoneCodes.attemptClaim(claim.claimKey, [digest()], at(MINUTE), MAX)).toEqual({ outcome: 'wrong', triesLeft: left });
      }
      expect(await store().phoneCodes.attemptClaim(claim.claimKey, [claim.digest], at(MINUTE), MAX)).toEqual({ outcome: 'exhausted' });
    });

    it('expires from the second of expiresAt; none for a key never claimed; a new claim replaces the older with a fresh count', async () => {
      const { patient } = await ctx.create();
      const older = await claimed(patient.phone_number, patient.id);
      expect(await store().phoneCodes.attemptClaim(older.claimKey, [older.digest], at(10 * MINUTE), MAX)).toEqual({ outcome: 'expired' });
      expect(await store().phoneCodes.attemptClaim(`claim-${randomUUID()}`, [older.digest], now, MAX)).toEqual({ outcome: 'none' });
      await store().phoneCodes.attemptClaim(older.claimKey, [digest()], now, MAX);
      const newer: PhoneClaimRecord = { ...older, codeId: randomUUID(), digest: digest() };
      await store().phoneCodes.issueClaim(newer, { kind: 'phone_code_sms', id: randomUUID(), patientId: patient.id, to: patient.phone_number, text: '654321', createdAt: now.toISOString() });
      expect(await store().phoneCodes.attemptClaim(older.claimKey, [older.digest], now, MAX)).toEqual({ outcome: 'wrong', triesLeft: MAX - 1 });
      expect(await store().phoneCodes.attemptClaim(older.claimKey, [newer.digest], now, MAX)).toEqual({ outcome: 'valid', codeId: newer.codeId });
    });
  });

  describe('a registration that takes a number over', () => {
    it('stores the new patient, releases the holder\'s number, spends the claim and queues the holder\'s notice, in one step', async () => {
      const { holder, claim, takeover, newcomer, register } = await takeoverOf();
      const patient = newcomer();
      await register(patient);
      expect(await store().readPatient(patient.id)).toMatchObject({ phone_number: holder.phone_number, phone_verified: true });
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_number_released: true, phone_verified: false });
      expect(await store().repository.findPhoneHolder(holder.phone_number)).toEqual({ id: patient.id, email: patient.email, phone_verified: true });
      expect(await store().repository.findTakenIdentifiers('nobody@contract.test', holder.phone_number)).toEqual({ email: false, phone: true });
      expect(await store().phoneCodes.attemptClaim(claim.claimKey, [claim.digest], now, MAX)).toEqual({ outcome: 'none' });
      expect(await store().outbox.claim(takeover.holder!.notice.id, at(1000), MINUTE)).toMatchObject({ kind: 'account_notice_email', to: holder.email, notice: 'phone_number_taken_over' });
      // A third registration of the number is the spec's duplicate, as for any proven number.
      const third = ctx.patientFixture({ phone_number: holder.phone_number });
      await expect(store().repository.createPatient(third, ctx.tokenFor(third), ctx.mailFor(third))).rejects.toBeInstanceOf(DuplicateRegistrationError);
    });

    it('is single-use: of concurrent registrations with one claim exactly one takes the number, nothing else is stored', async () => {
      const { holder, newcomer, register } = await takeoverOf();
      const patients = [newcomer(), newcomer(), newcomer()];
      const results = await Promise.allSettled(patients.map((p) => register(p)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason instanceof PhoneClaimCodeError || r.reason instanceof DuplicateRegistrationError).toBe(true);
      }
      const stored = await Promise.all(patients.map((p) => store().readPatient(p.id)));
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_number_released: true });
    });

    it('a claim already spent or replaced (another code id) writes nothing', async () => {
      const { holder, takeover, newcomer, register } = await takeoverOf();
      const patient = newcomer();
      await expect(register(patient, { ...takeover, codeId: randomUUID() })).rejects.toBeInstanceOf(PhoneClaimCodeError);
      expect(await store().readPatient(patient.id)).toBeUndefined();
      expect((await store().readPatient(holder.id))!.phone_number_released).toBeFalsy();
    });

    it('a holder that proved the number keeps it: the spec\'s duplicate, nothing written, the claim not spent', async () => {
      const { holder, claim, newcomer, register } = await takeoverOf({ proven: true });
      const patient = newcomer();
      const error = await register(patient).then(() => undefined, (e: unknown) => e);
      expect((error as DuplicateRegistrationError).clashes).toMatchObject({ phone: true });
      expect(await store().readPatient(patient.id)).toBeUndefined();
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_verified: true });
      expect((await store().readPatient(holder.id))!.phone_number_released).toBeFalsy();
      expect(await store().phoneCodes.attemptClaim(claim.claimKey, [claim.digest], now, MAX)).toEqual({ outcome: 'valid', codeId: claim.codeId });
    });

    it('a number nobody holds is simply registered with the claim spent', async () => {
      const { patient: someone } = await ctx.create();
      const phone = ctx.patientFixture().phone_number;
      const claim = await claimed(phone, someone.id);
      const patient = ctx.patientFixture({ phone_number: phone, phone_verified: true });
      await store().repository.createPatient(patient, ctx.tokenFor(patient), ctx.mailFor(patient), { claimKey: claim.claimKey, codeId: claim.codeId, now, maxWrongTries: MAX });
      expect(await store().readPatient(patient.id)).toMatchObject({ phone_verified: true });
      expect(await store().phoneCodes.attemptClaim(claim.claimKey, [claim.digest], now, MAX)).toEqual({ outcome: 'none' });
    });

    it('the released holder cannot prove the number with a code it held, and verifying its email leaves the new owner\'s reservation alone', async () => {
      const { holder, holderToken, newcomer, register } = await takeoverOf();
      await store().phoneCodes.issueCode({ patientId: holder.id, codeId: randomUUID(), digest: 'old-code', expiresAt: at(MINUTE), createdAt: now }, {
        kind: 'phone_code_sms', id: randomUUID(), patientId: holder.id, to: holder.phone_number, text: '111111', createdAt: now.toISOString(),
      });
      const patient = newcomer();
      await register(patient);
      expect(await store().phoneCodes.attemptCode(holder.id, ['old-code'], now, MAX)).toEqual({ outcome: 'none' });
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_verified: false, phone_number_released: true });
      expect(await store().repository.consumeVerificationToken(holderToken.tokenHash, now)).toEqual({ outcome: 'verified', patientId: holder.id });
      expect(await store().repository.findPhoneHolder(holder.phone_number)).toMatchObject({ id: patient.id });
    });

    it('the released holder adds a new number (POST /me/phone): it holds that one, the flag goes, the new owner keeps the old number', async () => {
      const { holder, holderToken, newcomer, register } = await takeoverOf();
      const owner = newcomer();
      await register(owner);
      expect(await store().repository.consumeVerificationToken(holderToken.tokenHash, now)).toEqual({ outcome: 'verified', patientId: holder.id });
      const newPhone = ctx.patientFixture().phone_number;
      await store().phoneCodes.issueCode({ patientId: holder.id, codeId: randomUUID(), digest: 'move-code', expiresAt: at(MINUTE), createdAt: now, newPhone }, {
        kind: 'phone_code_sms', id: randomUUID(), patientId: holder.id, to: newPhone, text: '222222', createdAt: now.toISOString(),
      });
      const moved = { ...notice(holder), notice: 'phone_moved' as const };
      expect(await store().phoneCodes.attemptMoveCode(holder.id, ['move-code'], now, MAX, { notice: moved, takenOverNotice: notice })).toEqual({ outcome: 'verified' });
      const after = await store().readPatient(holder.id);
      expect(after).toMatchObject({ phone_number: newPhone, phone_verified: true });
      expect(after?.phone_number_released).toBeFalsy();
      expect(await store().repository.findPhoneHolder(holder.phone_number)).toMatchObject({ id: owner.id });
      expect(await store().repository.findPhoneHolder(newPhone)).toMatchObject({ id: holder.id });
    });
  });
}
