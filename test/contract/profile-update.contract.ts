import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountNoticeMail, OutboxMail, PatientRecord, ProfileWrite, StoredProfile, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface ProfileUpdateContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
}

const ciphertext = () => randomBytes(48).toString('base64');
const later = (iso: string, ms = 1000) => new Date(Date.parse(iso) + ms).toISOString();
const corrected: StoredProfile = {
  first_name: 'Janet',
  last_name: 'Smith-Jones',
  date_of_birth: '1990-05-16',
  gender: 'other',
  address: { street: '1 Elm Street', city: 'Cambridge', state: 'MA', zip: '02139', country: 'US' },
  emergency_contact: { name: 'Ann Lee', phone: '+447911123456' },
};
const noticeFor = (patient: PatientRecord): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: 'profile_changed', createdAt: new Date().toISOString(),
});

/** PATCH /me's write (issue 20): a conditional, all-or-nothing profile write, on every store. */
export function describeProfileUpdateContract(ctx: ProfileUpdateContext): void {
  const write = (patient: PatientRecord, overrides: Partial<ProfileWrite> = {}): ProfileWrite => ({
    patientId: patient.id, expectedUpdatedAt: patient.updated_at, updatedAt: later(patient.updated_at), profile: corrected, ...overrides,
  });

  describe('updateProfile', () => {
    it('writes the whole profile and the new version; the credentials, contact points and patient data stay', async () => {
      const { patient } = await ctx.create();
      expect(await ctx.store().repository.updateProfile(write(patient))).toBe(true);
      const { emergency_contact: _old, ...rest } = patient;
      expect(await ctx.store().readPatient(patient.id)).toEqual({ ...rest, ...corrected, updated_at: later(patient.updated_at) });
    });

    it('removes the emergency contact when the profile holds none', async () => {
      const { patient } = await ctx.create();
      expect(await ctx.store().repository.updateProfile(write(patient, { profile: { ...corrected, emergency_contact: null } }))).toBe(true);
      expect((await ctx.store().readPatient(patient.id))!.emergency_contact).toBeUndefined();
    });

    it('replaces the encrypted fields and their key; a field no longer held is gone, not blanked', async () => {
      const { patient } = await ctx.create();
      const encrypted = { keyId: 'arn:aws:kms:us-east-1:111122223333:key/next', wrappedKey: ciphertext(), ciphertexts: { insurance_info: ciphertext() } };
      expect(await ctx.store().repository.updateProfile(write(patient, { encrypted }))).toBe(true);
      expect((await ctx.store().readPatient(patient.id))!.encrypted).toEqual(encrypted);
    });

    it('removes every encrypted field and the key when none is left (null)', async () => {
      const { patient } = await ctx.create();
      expect(await ctx.store().repository.updateProfile(write(patient, { encrypted: null }))).toBe(true);
      expect((await ctx.store().readPatient(patient.id))!.encrypted).toBeUndefined();
    });

    it('leaves the encrypted fields as they are when the write carries none', async () => {
      const { patient } = await ctx.create();
      expect(await ctx.store().repository.updateProfile(write(patient))).toBe(true);
      expect((await ctx.store().readPatient(patient.id))!.encrypted).toEqual(patient.encrypted);
    });

    it('refuses a write read at another version, and writes nothing of it (its notice neither)', async () => {
      const { patient } = await ctx.create();
      const notice = noticeFor(patient);
      const stale = write(patient, { expectedUpdatedAt: later(patient.updated_at, -1), notice });
      expect(await ctx.store().repository.updateProfile(stale)).toBe(false);
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
      expect(await ctx.store().outbox.claim(notice.id, new Date(), 60_000)).toBeUndefined();
    });

    it('refuses a deactivated patient and an unknown one', async () => {
      const { patient } = await ctx.create(ctx.patientFixture({ is_active: false }));
      expect(await ctx.store().repository.updateProfile(write(patient))).toBe(false);
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
      expect(await ctx.store().repository.updateProfile(write(ctx.patientFixture()))).toBe(false);
    });

    it('queues the notice with the write, for the outbox to send', async () => {
      const { patient } = await ctx.create();
      const notice = noticeFor(patient);
      expect(await ctx.store().repository.updateProfile(write(patient, { notice }))).toBe(true);
      expect(await ctx.store().outbox.claim(notice.id, new Date(), 60_000)).toMatchObject({ kind: 'account_notice_email', to: patient.email, notice: 'profile_changed', patientId: patient.id });
    });

    it('of 8 parallel writes read at one version exactly one lands', async () => {
      const { patient } = await ctx.create();
      const names = Array.from({ length: 8 }, (_, i) => `Name${String.fromCharCode(65 + i)}`);
      const results = await Promise.all(names.map((first_name, i) =>
        ctx.store().repository.updateProfile(write(patient, { profile: { ...corrected, first_name }, updatedAt: later(patient.updated_at, 1000 + i) }))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = names[results.indexOf(true)];
      expect((await ctx.store().readPatient(patient.id))!.first_name).toBe(winner);
    });
  });
}
