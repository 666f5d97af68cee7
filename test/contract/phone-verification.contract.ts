import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxSms } from '../../lib/outbox/ports.js';
import type { OutboxMail, PatientRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { PhoneCodeRecord } from '../../lib/phone/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface PhoneVerificationContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord, token?: VerificationTokenRecord, mail?: OutboxMail) => Promise<{ patient: PatientRecord }>;
}

const MAX = 5;
const MINUTE = 60_000;
const digest = () => `v1.${randomBytes(32).toString('hex')}`;

/** Issuing, trying and replacing phone codes, and verifying the phone: the same on every store. */
export function describePhoneVerificationContract(ctx: PhoneVerificationContext): void {
  const codes = () => ctx.store().phoneCodes;
  const now = new Date();
  const at = (ms: number) => new Date(now.getTime() + ms);

  async function issued(patientId?: string) {
    const id = patientId ?? (await ctx.create()).patient.id;
    const code: PhoneCodeRecord = { patientId: id, codeId: randomUUID(), digest: digest(), expiresAt: at(10 * MINUTE), createdAt: now };
    const sms: OutboxSms = { kind: 'phone_code_sms', id: randomUUID(), patientId: id, to: '+12025550123', text: `${randomBytes(3).readUIntBE(0, 3) % 1e6} is your code`, createdAt: now.toISOString() };
    await codes().issueCode(code, sms);
    return { patientId: id, code, sms };
  }

  describe('phone verification storage', () => {
    it('the right code verifies the phone (phone_verified, in the stored patient) and is used up', async () => {
      const { patientId, code } = await issued();
      expect(await codes().attemptCode(patientId, [code.digest], at(MINUTE), MAX)).toEqual({ outcome: 'verified' });
      expect(await ctx.store().readPatient(patientId)).toMatchObject({ phone_verified: true });
      expect(await codes().attemptCode(patientId, [code.digest], at(MINUTE), MAX)).toEqual({ outcome: 'none' });
    });

    it('any of the presented digests may match (a key rotation during the 10 minutes)', async () => {
      const { patientId, code } = await issued();
      expect(await codes().attemptCode(patientId, [digest(), code.digest], at(MINUTE), MAX)).toEqual({ outcome: 'verified' });
    });

    it('wrong tries count down; after the last one even the right code is exhausted; the phone stays unverified', async () => {
      const { patientId, code } = await issued();
      for (let left = MAX - 1; left >= 0; left--) {
        expect(await codes().attemptCode(patientId, [digest()], at(MINUTE), MAX)).toEqual({ outcome: 'wrong', triesLeft: left });
      }
      expect(await codes().attemptCode(patientId, [code.digest], at(MINUTE), MAX)).toEqual({ outcome: 'exhausted' });
      expect(await ctx.store().readPatient(patientId)).toMatchObject({ phone_verified: false });
    });

    it('works until the second before expiresAt, is expired from its second on', async () => {
      const { patientId, code } = await issued();
      expect(await codes().attemptCode(patientId, [code.digest], at(10 * MINUTE), MAX)).toEqual({ outcome: 'expired' });
      expect(await codes().attemptCode(patientId, [code.digest], at(10 * MINUTE - 1000), MAX)).toEqual({ outcome: 'verified' });
    });

    it('no code issued: none', async () => {
      const { patient } = await ctx.create();
      expect(await codes().attemptCode(patient.id, [digest()], now, MAX)).toEqual({ outcome: 'none' });
    });

    it('a new code replaces the older one, with a fresh count: the older digest is simply wrong', async () => {
      const { patientId, code: older } = await issued();
      await codes().attemptCode(patientId, [digest()], at(MINUTE), MAX);
      const { code: newer } = await issued(patientId);
      expect(await codes().attemptCode(patientId, [older.digest], at(MINUTE), MAX)).toEqual({ outcome: 'wrong', triesLeft: MAX - 1 });
      expect(await codes().attemptCode(patientId, [newer.digest], at(MINUTE), MAX)).toEqual({ outcome: 'verified' });
    });

    it('codes are per patient: one patient\'s code does not verify another', async () => {
      const a = await issued();
      const b = await issued();
      expect(await codes().attemptCode(b.patientId, [a.code.digest], at(MINUTE), MAX)).toMatchObject({ outcome: 'wrong' });
      expect(await ctx.store().readPatient(b.patientId)).toMatchObject({ phone_verified: false });
    });

    it('concurrent wrong tries each count (no lost update)', async () => {
      const { patientId } = await issued();
      const results = await Promise.all([0, 1, 2, 3, 4].map(() => codes().attemptCode(patientId, [digest()], at(MINUTE), MAX)));
      expect(results.map((r) => (r.outcome === 'wrong' ? r.triesLeft : -1)).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(await codes().attemptCode(patientId, [digest()], at(MINUTE), MAX)).toEqual({ outcome: 'exhausted' });
    });

    it('concurrent right tries: exactly one verifies', async () => {
      const { patientId, code } = await issued();
      const results = await Promise.all([0, 1, 2, 3].map(() => codes().attemptCode(patientId, [code.digest], at(MINUTE), MAX)));
      expect(results.filter((r) => r.outcome === 'verified')).toHaveLength(1);
      expect(results.filter((r) => r.outcome !== 'verified').every((r) => r.outcome === 'none')).toBe(true);
    });

    it('issuing queues the SMS in the outbox; once sent the outbox forgets its text (it holds the code)', async () => {
      const { sms } = await issued();
      const claimed = await ctx.store().outbox.claim(sms.id, at(1000), MINUTE);
      expect(claimed).toMatchObject({ kind: 'phone_code_sms', id: sms.id, patientId: sms.patientId, to: sms.to, text: sms.text, attempts: 1 });
      await ctx.store().outbox.markSent(claimed!, at(2000));
      expect(await ctx.store().outbox.claim(sms.id, at(3000), MINUTE)).toBeUndefined();
      expect(await ctx.store().outboxText(sms.id)).toBeFalsy();
      // Removed from the stored item itself (attribute REMOVEd, column NULL), not only marked sent.
      const raw = await ctx.store().outboxRaw(sms.id);
      expect(raw).toBeDefined();
      expect(raw).not.toContain(sms.text);
      expect(raw).not.toMatch(/\b\d{6}\b/);
    });

    it('an SMS whose send failed is due again after its backoff, text intact', async () => {
      const { sms } = await issued();
      const claimed = await ctx.store().outbox.claim(sms.id, at(1000), MINUTE);
      await ctx.store().outbox.release(claimed!, at(2000));
      expect(await ctx.store().outboxText(sms.id)).toBe(sms.text);
      expect(await ctx.store().outbox.claim(sms.id, at(3000), MINUTE)).toBeUndefined();
      expect(await ctx.store().outbox.claim(sms.id, at(40_000), MINUTE)).toMatchObject({ text: sms.text, attempts: 2 });
    });
  });
}
