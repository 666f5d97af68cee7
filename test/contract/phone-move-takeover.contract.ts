import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toView } from '../../lib/auth/read-own-record.js';
import { DuplicateRegistrationError } from '../../lib/errors.js';
import type { AccountNoticeMail, FieldCipher, OutboxMail, PatientRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import { takenOverNotice } from './phone-move.contract.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface PhoneMoveTakeoverContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord, token?: VerificationTokenRecord, mail?: OutboxMail) => Promise<{ patient: PatientRecord }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
  tokenFor: (patient: PatientRecord) => VerificationTokenRecord;
  mailFor: (patient: PatientRecord) => OutboxMail;
}

const MAX = 5;
const MINUTE = 60_000;
const digest = () => `v1.${randomBytes(32).toString('hex')}`;
/** GET /me's view without decrypting: the fixtures' ciphertexts are not real. */
const NO_DECRYPT = { decryptFields: async () => ({}) } as unknown as FieldCipher;

/**
 * Possession wins on a phone move too (issue 19 item 4 applied to issue 20's POST /me/phone/verify):
 * the right move code takes the number from an account that never proved it, in the move's own
 * write, exactly as a registration's claim does; never from one that proved it. On every store.
 */
export function describePhoneMoveTakeoverContract(ctx: PhoneMoveTakeoverContext): void {
  const store = () => ctx.store();
  // Real time: the stores judge a lapse and a free reservation by their own clock.
  const now = new Date();
  const at = (ms: number) => new Date(now.getTime() + ms);

  async function code(patient: PatientRecord, newPhone?: string) {
    const record = { patientId: patient.id, codeId: randomUUID(), digest: digest(), expiresAt: at(10 * MINUTE), createdAt: now, ...(newPhone && { newPhone }) };
    await store().phoneCodes.issueCode(record, {
      kind: 'phone_code_sms', id: randomUUID(), patientId: patient.id, to: newPhone ?? patient.phone_number, text: '123456 is your code', createdAt: now.toISOString(),
    });
    return record;
  }

  /** An account holding a number it never proved (email verified unless told), and a mover with a code for that number. */
  async function squatted({ holderOverrides = {} }: { holderOverrides?: Partial<PatientRecord> } = {}) {
    const { patient: holder } = await ctx.create(ctx.patientFixture({ email_verified: true, ...holderOverrides }));
    const { patient: mover } = await ctx.create(ctx.patientFixture({ email_verified: true }));
    const moveCode = await code(mover, holder.phone_number);
    const notices: AccountNoticeMail[] = [];
    const move = (who = mover, digests = [moveCode.digest]) => store().phoneCodes.attemptMoveCode(who.id, digests, at(1000), MAX, {
      notice: { kind: 'account_notice_email', id: randomUUID(), patientId: who.id, to: who.email, notice: 'phone_moved', createdAt: now.toISOString() },
      takenOverNotice: (taken) => {
        const notice = takenOverNotice(taken, at(1000));
        notices.push(notice);
        return notice;
      },
    });
    return { holder, mover, moveCode, notices, move };
  }

  describe('a phone move takes an unproven number over', () => {
    it('the holder released (GET /me: no number, flagged), its codes void, told without name or number; the mover holds it proven', async () => {
      const { holder, mover, notices, move } = await squatted();
      const holderCode = await code(holder);
      expect(await move()).toEqual({ outcome: 'verified', takenFrom: holder.id });
      expect(await store().readPatient(mover.id)).toMatchObject({ phone_number: holder.phone_number, phone_verified: true });
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_number_released: true, phone_verified: false });
      const view = await toView((await store().repository.getPatient(holder.id))!, NO_DECRYPT);
      expect(view).toMatchObject({ phone_number: null, phone_verified: false, phone_number_released: true });
      expect(await store().phoneCodes.attemptCode(holder.id, [holderCode.digest], at(1000), MAX)).toEqual({ outcome: 'none' });
      expect(await store().repository.findPhoneHolder(holder.phone_number)).toEqual({ id: mover.id, email: mover.email, phone_verified: true });
      expect(notices).toHaveLength(1);
      expect(await store().outbox.claim(notices[0]!.id, at(2000), MINUTE)).toMatchObject({ kind: 'account_notice_email', to: holder.email, notice: 'phone_number_taken_over' });
      // The number is proven now: a registration with it is the spec's duplicate.
      const third = ctx.patientFixture({ phone_number: holder.phone_number });
      await expect(store().repository.createPatient(third, ctx.tokenFor(third), ctx.mailFor(third))).rejects.toBeInstanceOf(DuplicateRegistrationError);
    });

    it('a pending registration (email unverified, not lapsed) holding the number unproven is taken over too', async () => {
      const { holder, mover, move } = await squatted({ holderOverrides: { email_verified: false, lapses_at: at(7 * 24 * 60 * MINUTE).toISOString() } });
      expect(await move()).toEqual({ outcome: 'verified', takenFrom: holder.id });
      expect(await store().repository.findPhoneHolder(holder.phone_number)).toMatchObject({ id: mover.id });
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_number_released: true });
    });

    it('never from a holder that proved the number meanwhile: taken, nothing written, the code kept', async () => {
      const { holder, mover, notices, move } = await squatted();
      const proof = await code(holder);
      expect(await store().phoneCodes.attemptCode(holder.id, [proof.digest], now, MAX)).toEqual({ outcome: 'verified' });
      const [holderBefore, moverBefore] = [await store().readPatient(holder.id), await store().readPatient(mover.id)];
      expect(await move()).toEqual({ outcome: 'taken' });
      expect(await store().readPatient(holder.id)).toEqual(holderBefore);
      expect(await store().readPatient(mover.id)).toEqual(moverBefore);
      for (const notice of notices) expect(await store().outbox.claim(notice.id, at(2000), MINUTE)).toBeUndefined();
      expect(await move(mover, [digest()])).toEqual({ outcome: 'wrong', triesLeft: MAX - 1 });
    });

    it('two movers verifying for one unproven number at once: exactly one gets it, the holder is told once', async () => {
      const { holder, mover, moveCode, notices, move } = await squatted();
      const { patient: rival } = await ctx.create(ctx.patientFixture({ email_verified: true }));
      const rivalCode = await code(rival, holder.phone_number);
      const outcomes = await Promise.all([move(), move(rival, [rivalCode.digest])]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['taken', 'verified']);
      const winner = outcomes[0]!.outcome === 'verified' ? mover : rival;
      expect(outcomes.find((o) => o.outcome === 'verified')).toEqual({ outcome: 'verified', takenFrom: holder.id });
      expect(await store().repository.findPhoneHolder(holder.phone_number)).toMatchObject({ id: winner.id, phone_verified: true });
      expect(await store().readPatient(holder.id)).toMatchObject({ phone_number_released: true });
      const queued = await Promise.all(notices.map((n) => store().outbox.claim(n.id, at(2000), MINUTE)));
      expect(queued.filter(Boolean)).toHaveLength(1);
      expect(moveCode.newPhone).toBe(holder.phone_number);
    });
  });
}
