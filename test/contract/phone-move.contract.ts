import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxSms } from '../../lib/outbox/ports.js';
import type { AccountNoticeMail, OutboxMail, PatientRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { PhoneCodeRecord } from '../../lib/phone/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface PhoneMoveContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord, token?: VerificationTokenRecord, mail?: OutboxMail) => Promise<{ patient: PatientRecord }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
  uniquePhone: () => string;
}

const MAX = 5;
const MINUTE = 60_000;
const digest = () => `v1.${randomBytes(32).toString('hex')}`;
const movedNotice = (patient: PatientRecord): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: 'phone_moved', createdAt: new Date().toISOString(),
});
/** The notice to a holder a move takes an unproven number from (phone-move-takeover.contract.ts). */
export const takenOverNotice = (holder: { id: string; email: string }, now = new Date()): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: holder.id, to: holder.email, notice: 'phone_number_taken_over', createdAt: now.toISOString(),
});

/** POST /me/phone's code and its use (issue 20): the swap of number and reservation, on every store. */
export function describePhoneMoveContract(ctx: PhoneMoveContext): void {
  const codes = () => ctx.store().phoneCodes;
  const repository = () => ctx.store().repository;
  const verified = async (overrides: Partial<PatientRecord> = {}) => (await ctx.create(ctx.patientFixture({ email_verified: true, ...overrides }))).patient;
  async function issued(patient: PatientRecord, newPhone?: string) {
    const now = new Date();
    const code: PhoneCodeRecord = { patientId: patient.id, codeId: randomUUID(), digest: digest(), expiresAt: new Date(now.getTime() + 10 * MINUTE), createdAt: now, ...(newPhone && { newPhone }) };
    const sms: OutboxSms = { kind: 'phone_code_sms', id: randomUUID(), patientId: patient.id, to: newPhone ?? patient.phone_number, text: '123456 is your code', createdAt: now.toISOString() };
    await codes().issueCode(code, sms);
    return code;
  }
  const tryMove = (patient: PatientRecord, digests: string[], notice = movedNotice(patient), now = new Date()) =>
    codes().attemptMoveCode(patient.id, digests, now, MAX, { notice, takenOverNotice: (holder) => takenOverNotice(holder, now) });

  describe('phone moves', () => {
    it('the right move code swaps number and reservation, verifies it, moves the version, queues the notice; the code is used', async () => {
      const patient = await verified();
      const newPhone = ctx.uniquePhone();
      const code = await issued(patient, newPhone);
      const now = new Date(Date.now() + 1000);
      const notice = movedNotice(patient);
      expect(await tryMove(patient, [digest(), code.digest], notice, now)).toEqual({ outcome: 'verified' });
      expect(await ctx.store().readPatient(patient.id)).toEqual({ ...patient, phone_number: newPhone, phone_verified: true, updated_at: now.toISOString() });
      expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: false });
      expect(await repository().findTakenIdentifiers(patient.email, newPhone)).toEqual({ email: true, phone: true });
      expect(await ctx.store().outbox.claim(notice.id, now, 60_000)).toMatchObject({ kind: 'account_notice_email', notice: 'phone_moved', to: patient.email });
      expect(await tryMove(patient, [code.digest])).toEqual({ outcome: 'none' });
      // The old number is free for a registration.
      await expect(ctx.create(ctx.patientFixture({ phone_number: patient.phone_number }))).resolves.toBeDefined();
    });

    it('wrong tries count as for verification; then even the right one is exhausted', async () => {
      const patient = await verified();
      const code = await issued(patient, ctx.uniquePhone());
      for (let left = MAX - 1; left >= 0; left--) expect(await tryMove(patient, [digest()])).toEqual({ outcome: 'wrong', triesLeft: left });
      expect(await tryMove(patient, [code.digest])).toEqual({ outcome: 'exhausted' });
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
    });

    it('a number registered and proven meanwhile: taken, nothing written, the code still there', async () => {
      const patient = await verified();
      const newPhone = ctx.uniquePhone();
      const code = await issued(patient, newPhone);
      await verified({ phone_number: newPhone, phone_verified: true });
      expect(await tryMove(patient, [code.digest])).toEqual({ outcome: 'taken' });
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
      expect(await tryMove(patient, [digest()])).toEqual({ outcome: 'wrong', triesLeft: MAX - 1 });
    });

    it('a number held only by a lapsed registration is taken over', async () => {
      const patient = await verified();
      const squatted = ctx.uniquePhone();
      await ctx.create(ctx.patientFixture({ phone_number: squatted, email_verified: false, lapses_at: new Date(Date.now() - 1000).toISOString() }));
      const code = await issued(patient, squatted);
      expect(await tryMove(patient, [code.digest])).toEqual({ outcome: 'verified' });
      expect(await repository().findTakenIdentifiers('', squatted)).toMatchObject({ phone: true });
    });

    it('a move code is none to attemptCode, a verification code none to attemptMoveCode', async () => {
      const patient = await verified();
      const move = await issued(patient, ctx.uniquePhone());
      expect(await codes().attemptCode(patient.id, [move.digest], new Date(), MAX)).toEqual({ outcome: 'none' });
      const plain = await issued(patient);
      expect(await tryMove(patient, [plain.digest])).toEqual({ outcome: 'none' });
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
    });

    it('two patients moving to one number at once: exactly one gets it', async () => {
      const [first, second] = [await verified(), await verified()];
      const number = ctx.uniquePhone();
      const [a, b] = [await issued(first, number), await issued(second, number)];
      const outcomes = await Promise.all([tryMove(first, [a.digest]), tryMove(second, [b.digest])]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['taken', 'verified']);
    });
  });
}
