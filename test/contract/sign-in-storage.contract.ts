import { describe, expect, it } from 'vitest';
import { DuplicateRegistrationError } from '../../lib/errors.js';
import type { OutboxMail, PatientRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

/** What the storage contract hands over: its store, its create helper and its fixtures. */
export interface SignInStorageContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord, token?: VerificationTokenRecord, mail?: OutboxMail) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
  tokenFor: (patient: PatientRecord, expiresAt?: Date) => VerificationTokenRecord;
  mailFor: (patient: PatientRecord, createdAt?: Date) => OutboxMail;
  uniqueEmail: () => string;
  uniquePhone: () => string;
}

const MINUTE = 60_000;
const DAY = 24 * 3600_000;
/** Methods without a `now` judge lapse by the store's own clock, so these fixtures lapse relative to the real time. */
const fromNow = (ms: number) => new Date(Date.now() + ms);
const lapsesAt = (ms: number) => fromNow(ms).toISOString();

async function refusal(attempt: Promise<void>): Promise<{ email: boolean; phone: boolean }> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DuplicateRegistrationError);
  return (error as DuplicateRegistrationError).clashes;
}

/** The storage sign-in needs (credentials, the stored record, re-hash) and the lapse of unverified registrations. */
export function describeSignInStorageContract(ctx: SignInStorageContext): void {
  const { create, patientFixture, tokenFor, mailFor, uniqueEmail, uniquePhone } = ctx;
  const repository = () => ctx.store().repository;
  /** A token that stays valid around the real time, so only a lapse can stop it. */
  const liveToken = (patient: PatientRecord) => tokenFor(patient, fromNow(DAY));
  const createWithLiveToken = (patient: PatientRecord) => create(patient, liveToken(patient));
  const lapsed = () => createWithLiveToken(patientFixture({ lapses_at: lapsesAt(-MINUTE) }));

  describe('sign-in reads', () => {
    it('findCredentials: id, hash and flags for a registered email, undefined for an unknown one', async () => {
      const { patient, token } = await createWithLiveToken(patientFixture({ lapses_at: lapsesAt(7 * DAY) }));
      const credentials = { id: patient.id, password_hash: patient.password_hash, email_verified: false, is_active: true };
      expect(await repository().findCredentials(patient.email)).toEqual(credentials);
      expect(await repository().findCredentials(uniqueEmail())).toBeUndefined();

      await repository().consumeVerificationToken(token.tokenHash, new Date());
      expect(await repository().findCredentials(patient.email)).toEqual({ ...credentials, email_verified: true });
    });

    it('findCredentials reports a deactivated account as inactive', async () => {
      const { patient } = await create(patientFixture({ is_active: false }));
      expect(await repository().findCredentials(patient.email)).toMatchObject({ id: patient.id, is_active: false });
    });

    it('getPatient: the record as stored, with hash, ciphertexts and lapse; undefined for an unknown id', async () => {
      const patient = patientFixture({ lapses_at: lapsesAt(7 * DAY), registration_key: 'key-1', registration_fingerprint: 'f'.repeat(64) });
      await create(patient);
      expect(await repository().getPatient(patient.id)).toEqual(patient);
      expect(await repository().getPatient(patientFixture().id)).toBeUndefined();
    });

    it('replacePasswordHash writes only while the stored hash is still the expected one', async () => {
      const { patient } = await create();
      const [rehashed, later] = ['$2b$13$rehashed-at-a-higher-cost', '$2b$14$written-from-a-stale-read'];
      const at = new Date('2025-06-02T08:00:00.000Z');

      expect(await repository().replacePasswordHash(patient.id, patient.password_hash, rehashed, at)).toBe(true);
      expect(await repository().getPatient(patient.id)).toEqual({ ...patient, password_hash: rehashed, updated_at: at.toISOString() });
      expect(await repository().replacePasswordHash(patient.id, patient.password_hash, later, new Date(at.getTime() + 1000))).toBe(false);
      expect(await repository().getPatient(patient.id)).toMatchObject({ password_hash: rehashed, updated_at: at.toISOString() });
      expect(await repository().replacePasswordHash(patientFixture().id, patient.password_hash, later, at)).toBe(false);
    });

    it('two concurrent replacePasswordHash from the same expected hash: exactly one wins, and its hash is stored', async () => {
      const { patient } = await create();
      const candidates = ['$2b$13$first-concurrent-rehash', '$2b$13$second-concurrent-rehash'];
      const results = await Promise.all(candidates.map((next) => repository().replacePasswordHash(patient.id, patient.password_hash, next, new Date())));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await repository().getPatient(patient.id))!.password_hash).toBe(candidates[results.indexOf(true)]);
    });

    it('findVerificationToken names the patient of a superseded or used token, and nothing for an unknown one', async () => {
      const patient = patientFixture();
      const { token: first } = await createWithLiveToken(patient);
      const newest = liveToken(patient);
      expect(await repository().replaceVerificationToken((await repository().findPatientByEmail(patient.email))!, newest, mailFor(patient))).toBe(true);
      expect(await repository().consumeVerificationToken(newest.tokenHash, new Date())).toMatchObject({ outcome: 'verified' });

      for (const token of [first, newest]) expect(await repository().findVerificationToken(token.tokenHash)).toEqual({ patientId: patient.id });
      expect(await repository().findVerificationToken(liveToken(patient).tokenHash)).toBeUndefined(); // never stored
    });

    it('findVerificationToken names the patient of an expired token', async () => {
      const patient = patientFixture();
      const { token } = await create(patient, tokenFor(patient, new Date(Date.now() - DAY)));
      expect(await repository().consumeVerificationToken(token.tokenHash, new Date())).toEqual({ outcome: 'expired' });
      expect(await repository().findVerificationToken(token.tokenHash)).toEqual({ patientId: patient.id });
    });
  });

  describe('unverified registrations lapse', () => {
    it('before its lapses_at a registration is present everywhere', async () => {
      const { patient, token } = await createWithLiveToken(patientFixture({ lapses_at: lapsesAt(MINUTE) }));
      expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: true });
      expect(await repository().findPatientByEmail(patient.email)).toMatchObject({ id: patient.id });
      expect(await repository().findCredentials(patient.email)).toMatchObject({ id: patient.id });
      expect(await repository().getPatient(patient.id)).toEqual(patient);
      expect(await repository().findVerificationToken(token.tokenHash)).toEqual({ patientId: patient.id });
      const squatter = patientFixture({ email: patient.email, phone_number: patient.phone_number });
      expect(await refusal(repository().createPatient(squatter, tokenFor(squatter), mailFor(squatter)))).toEqual({ email: true, phone: true });
    });

    it('from the moment it lapses it reads as absent everywhere, before anything removed it', async () => {
      const { patient, token } = await lapsed();
      expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: false, phone: false });
      expect(await repository().findPatientByEmail(patient.email)).toBeUndefined();
      expect(await repository().findCredentials(patient.email)).toBeUndefined();
      expect(await repository().getPatient(patient.id)).toBeUndefined();
      expect(await repository().findVerificationToken(token.tokenHash)).toBeUndefined();
      expect(await repository().replacePasswordHash(patient.id, patient.password_hash, '$2b$13$too-late', new Date())).toBe(false);
      const contact = {
        id: patient.id, first_name: patient.first_name, email: patient.email, phone_number: patient.phone_number,
        registration_key: undefined, registration_fingerprint: undefined, email_verified: false, verification_token_hash: token.tokenHash,
      };
      expect(await repository().replaceVerificationToken(contact, liveToken(patient), mailFor(patient))).toBe(false);
      // 'unknown', as once the registration is physically gone: the answer does not depend on when cleanup ran.
      expect(await repository().consumeVerificationToken(token.tokenHash, new Date())).toEqual({ outcome: 'unknown' });
      expect((await ctx.store().readPatient(patient.id))?.email_verified ?? false).toBe(false);
    });

    it('consumeVerificationToken judges the lapse by its own `now`: a link clicked after lapses_at does not verify', async () => {
      const lapse = fromNow(7 * DAY);
      const patient = patientFixture({ lapses_at: lapse.toISOString() });
      const { token } = await create(patient, tokenFor(patient, fromNow(8 * DAY)));
      expect(await repository().consumeVerificationToken(token.tokenHash, new Date(lapse.getTime() + 1000))).toEqual({ outcome: 'unknown' });
    });

    it.each([
      ['email and phone', { email: true, phone: true }],
      ['email', { email: true, phone: false }],
      ['phone', { email: false, phone: true }],
    ])('after lapse, the same %s register again and the old token no longer verifies', async (_case, same) => {
      const { patient: old, token: oldToken } = await lapsed();
      const next = patientFixture({
        email: same.email ? old.email : uniqueEmail(),
        phone_number: same.phone ? old.phone_number : uniquePhone(),
        lapses_at: lapsesAt(7 * DAY),
      });
      const { token } = await createWithLiveToken(next);

      expect(await repository().findTakenIdentifiers(old.email, old.phone_number)).toEqual(same);
      expect(await repository().getPatient(next.id)).toEqual(next);
      if (same.email) expect(await repository().findPatientByEmail(old.email)).toMatchObject({ id: next.id });
      expect(await repository().consumeVerificationToken(oldToken.tokenHash, new Date())).toEqual({ outcome: 'unknown' });
      expect(await repository().getPatient(old.id)).toBeUndefined();
      expect(await repository().consumeVerificationToken(token.tokenHash, new Date())).toEqual({ outcome: 'verified', patientId: next.id });
    });

    it('of 5 concurrent registrations taking over one lapsed email and phone, exactly one wins', async () => {
      const { patient: old } = await lapsed();
      const attempts = Array.from({ length: 5 }, () => patientFixture({ email: old.email, phone_number: old.phone_number }));
      const results = await Promise.allSettled(attempts.map((p) => repository().createPatient(p, tokenFor(p), mailFor(p))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateRegistrationError);
      const winner = attempts[results.findIndex((r) => r.status === 'fulfilled')]!;
      expect(await repository().findPatientByEmail(old.email)).toMatchObject({ id: winner.id });
    });

    it('a verified patient never lapses, even once its lapses_at has passed', async () => {
      const lapse = new Date(Date.now() - MINUTE);
      const patient = patientFixture({ lapses_at: lapse.toISOString() });
      const { token } = await create(patient, liveToken(patient));
      const verifiedAt = new Date(lapse.getTime() - 3600_000);
      expect(await repository().consumeVerificationToken(token.tokenHash, verifiedAt)).toEqual({ outcome: 'verified', patientId: patient.id });

      const { lapses_at: _cleared, ...verified } = { ...patient, email_verified: true, updated_at: verifiedAt.toISOString() };
      expect(await repository().getPatient(patient.id)).toEqual(verified);
      expect(await repository().findCredentials(patient.email)).toMatchObject({ id: patient.id, email_verified: true });
      expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: true });
      await repository().removeLapsedRegistrations(new Date());
      const squatter = patientFixture({ email: patient.email, phone_number: patient.phone_number });
      expect(await refusal(repository().createPatient(squatter, tokenFor(squatter), mailFor(squatter)))).toEqual({ email: true, phone: true });
      expect(await repository().getPatient(patient.id)).toEqual(verified);
    });

    it('removeLapsedRegistrations removes only lapsed unverified registrations and counts them (TTL stores: 0)', async () => {
      // Count only this test's registrations: every earlier one that would lapse before these goes first.
      await repository().removeLapsedRegistrations(fromNow(DAY));
      const gone = [await lapsed(), await lapsed()];
      const { patient: pending } = await create(patientFixture({ lapses_at: lapsesAt(2 * DAY) }));
      const verifiedOne = patientFixture({ lapses_at: lapsesAt(-MINUTE) });
      const { token } = await create(verifiedOne, liveToken(verifiedOne));
      await repository().consumeVerificationToken(token.tokenHash, new Date(Date.now() - DAY));

      expect(await repository().removeLapsedRegistrations(new Date())).toBe(ctx.store().lapsedRemovedBy === 'ttl' ? 0 : gone.length);
      for (const { patient } of gone) {
        expect(await repository().getPatient(patient.id)).toBeUndefined();
        expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: false, phone: false });
      }
      expect(await repository().getPatient(pending.id)).toEqual(pending);
      expect(await repository().getPatient(verifiedOne.id)).toMatchObject({ id: verifiedOne.id, email_verified: true });
    });
  });
}
