import type { ContactMoveStore } from '../../lib/record/ports.js';
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateRegistrationError, ServiceUnavailableError } from '../../lib/errors.js';
import { normalizeEmail, normalizePhone } from '../../lib/patient/normalize.js';
import type { IdempotencyStore } from '../../lib/idempotency/ports.js';
import type { ClaimedItem, OutboxStore, ResendRequest } from '../../lib/outbox/ports.js';
import { MAX_SEND_ATTEMPTS } from '../../lib/outbox/retry-policy.js';
import type { OutboxMail, PatientRecord, PatientRepository, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { RateLimiter } from '../../lib/rate-limit/ports.js';
import type { LoginFailureCounter, SessionStore } from '../../lib/auth/session-ports.js';
import type { AuditTrail } from '../../lib/audit/ports.js';
import { describeAccountCloseContract } from './account-close.contract.js';
import { describeEmailMoveContract } from './email-move.contract.js';
import { describePhoneMoveContract } from './phone-move.contract.js';
import { describePhoneMoveTakeoverContract } from './phone-move-takeover.contract.js';
import { describePasskeyStorageContract } from './passkey-storage.contract.js';
import { describeAuditTrailContract } from './audit-trail.contract.js';
import { describeLinkStateContract } from './link-state.contract.js';
import { describePasswordResetContract } from './password-reset.contract.js';
import { describeProfileUpdateContract } from './profile-update.contract.js';
import { describeSessionContract } from './session-storage.contract.js';
import { describeSessionCredentialContract } from './session-credential.contract.js';
import { describeSessionListingContract } from './session-listing.contract.js';
import { describeSignInStorageContract } from './sign-in-storage.contract.js';
import { describePhoneVerificationContract } from './phone-verification.contract.js';
import { describePhoneClaimContract } from './phone-claim.contract.js';
import type { PhoneVerificationStore } from '../../lib/phone/ports.js';
import type { PasskeyStore } from '../../lib/passkey/ports.js';
import { describeRateLimitContract } from './rate-limit.contract.js';
import { describeSecondFactorContract } from './second-factor.contract.js';
import type { MfaChallengeStore, TotpStore } from '../../lib/auth/totp-ports.js';

/**
 * What every storage adapter must do, written against the ports only. Each adapter's test file
 * supplies a fresh store and a way to read a patient back, because the ports have no read method.
 */
export interface ContractStore {
  repository: PatientRepository;
  outbox: OutboxStore;
  registrations: IdempotencyStore;
  rateLimiter: RateLimiter;
  sessions: SessionStore;
  loginFailures: LoginFailureCounter;
  audit: AuditTrail;
  phoneCodes: PhoneVerificationStore;
  contactMoves: ContactMoveStore;
  totp: TotpStore;
  mfaChallenges: MfaChallengeStore;
  passkeys: PasskeyStore;
  /** The text an outbox SMS still holds, as stored (falsy once forgotten). */
  outboxText(id: string): Promise<string | undefined>;
  /**
   * The patient as stored, mapped back to a PatientRecord by the adapter's own storage format, lapsed
   * or not (the port's getPatient hides a lapsed registration).
   */
  readPatient(id: string): Promise<PatientRecord | undefined>;
  /** 'ttl' where the database itself deletes lapsed registrations and removeLapsedRegistrations has nothing to do. */
  lapsedRemovedBy?: 'ttl';
  /** The recipient or requested address an outbox item still holds, as stored. */
  outboxAddress(id: string): Promise<string | undefined>;
  /**
   * The outbox item or row exactly as stored, every attribute or column, as JSON text (undefined if
   * gone): a forgotten value must be removed (attribute REMOVEd, column NULL), not only marked.
   */
  outboxRaw(id: string): Promise<string | undefined>;
  cleanup?(): Promise<void>;
}

const REGISTERED_AT = new Date('2025-06-01T12:00:00.000Z');
const HOUR = 3600_000;
const at = (offsetMs: number) => new Date(REGISTERED_AT.getTime() + offsetMs);
const fakeCiphertext = () => randomBytes(48).toString('base64');

export const uniqueEmail = () => `patient.${randomBytes(5).toString('hex')}@contract.test`;
export const uniquePhone = () => `+1${randomInt(200_000_000, 999_999_999)}${randomInt(0, 9)}`;

/** A patient as the register use case hands it over: normalized identifiers, hash and ciphertexts only. */
export function patientFixture(overrides: Partial<PatientRecord> = {}): PatientRecord {
  return {
    id: randomUUID(),
    first_name: 'Jane',
    last_name: 'Smith',
    email: uniqueEmail(),
    phone_number: uniquePhone(),
    password_hash: '$2b$12$abcdefghijklmnopqrstuuJ6bHpu0WjKlVq1Ff0cPh8O3AxYzZ9Ae', // never checked by storage
    date_of_birth: '1990-05-15',
    gender: 'female',
    address: { street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101', country: 'US' },
    emergency_contact: { name: 'John Smith', phone: '+1234567891', relationship: 'spouse' },
    encrypted: {
      keyId: 'arn:aws:kms:us-east-1:111122223333:key/contract-test',
      wrappedKey: fakeCiphertext(),
      ciphertexts: { medical_history: fakeCiphertext(), insurance_info: fakeCiphertext() },
    },
    email_verified: false,
    phone_verified: false,
    is_active: true,
    created_at: REGISTERED_AT.toISOString(),
    updated_at: REGISTERED_AT.toISOString(),
    ...overrides,
  };
}

export function mailFor(patient: PatientRecord, createdAt = REGISTERED_AT): OutboxMail {
  return {
    kind: 'verification_email', id: randomUUID(), patientId: patient.id, to: patient.email,
    verifyUrl: `https://app.clinic.test/verify-email?token=${randomBytes(8).toString('hex')}`, createdAt: createdAt.toISOString(),
  };
}

export function tokenFor(patient: PatientRecord, expiresAt = at(24 * HOUR)): VerificationTokenRecord {
  return { tokenHash: createHash('sha256').update(randomBytes(32)).digest('hex'), patientId: patient.id, expiresAt, seed: randomBytes(32).toString('base64url') };
}

/** The clashes a refused createPatient reported; fails the test if it was not a duplicate refusal. */
async function refusal(attempt: Promise<void>): Promise<{ email: boolean; phone: boolean }> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DuplicateRegistrationError);
  return (error as DuplicateRegistrationError).clashes;
}

/** A repository whose server cannot be reached answers every call with a 503, never a 500. */
export async function expectUnavailableWhenUnreachable(repository: PatientRepository): Promise<void> {
  const patient = patientFixture();
  await expect(repository.findTakenIdentifiers(patient.email, patient.phone_number)).rejects.toBeInstanceOf(ServiceUnavailableError);
  await expect(repository.createPatient(patient, tokenFor(patient), mailFor(patient))).rejects.toBeInstanceOf(ServiceUnavailableError);
  await expect(repository.consumeVerificationToken('0'.repeat(64), new Date())).rejects.toBeInstanceOf(ServiceUnavailableError);
}

export function describeStorageContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`storage contract: ${name}`, () => {
    let store: ContractStore;
    let repository: PatientRepository;
    beforeAll(async () => {
      store = await makeStore();
      repository = store.repository;
    });
    afterAll(async () => store?.cleanup?.());

    const insert = (patient: PatientRecord, token = tokenFor(patient), mail = mailFor(patient)) => repository.createPatient(patient, token, mail);
    const create = async (patient = patientFixture(), token = tokenFor(patient), mail = mailFor(patient)) => {
      await insert(patient, token, mail);
      return { patient, token, mail };
    };

    describe('creating a patient', () => {
      it.each([
        ['every field of the schema', patientFixture()],
        ['no emergency contact and no encrypted fields', patientFixture({ emergency_contact: undefined, encrypted: undefined })],
        ['a contact without relationship and only medical history encrypted', patientFixture({
          emergency_contact: { name: 'Ann Lee', phone: '+447911123456' },
          encrypted: { keyId: 'local', wrappedKey: fakeCiphertext(), ciphertexts: { medical_history: fakeCiphertext() } },
        })],
      ])('stores %s and reads it back unchanged', async (_case, fixture) => {
        const patient = JSON.parse(JSON.stringify(fixture)) as PatientRecord; // drops the undefined optionals
        await create(patient);
        expect(await store.readPatient(patient.id)).toEqual(patient);
      });
    });

    describe('findTakenIdentifiers', () => {
      it.each([
        ['neither', false, false],
        ['only the email', true, false],
        ['only the phone', false, true],
        ['both', true, true],
      ])('reports each identifier on its own: %s taken', async (_case, emailTaken, phoneTaken) => {
        const { patient } = await create();
        const email = emailTaken ? patient.email : uniqueEmail();
        const phone = phoneTaken ? patient.phone_number : uniquePhone();
        expect(await repository.findTakenIdentifiers(email, phone)).toEqual({ email: emailTaken, phone: phoneTaken });
      });
    });

    describe('uniqueness of email and phone', () => {
      it.each([
        ['the same email', { email: true, phone: false }],
        ['the same phone', { email: false, phone: true }],
        ['the same email and phone', { email: true, phone: true }],
      ])('refuses a patient with %s, naming exactly the clashes, and stores nothing of it', async (_case, expected) => {
        const { patient: first } = await create();
        const second = patientFixture({
          ...(expected.email && { email: first.email }),
          ...(expected.phone && { phone_number: first.phone_number }),
        });
        const [secondToken, secondMail] = [tokenFor(second), mailFor(second)];

        expect(await refusal(insert(second, secondToken, secondMail))).toEqual(expected);
        expect(await store.readPatient(second.id)).toBeUndefined();
        expect(await store.readPatient(first.id)).toEqual(first);
        expect(await repository.consumeVerificationToken(secondToken.tokenHash, at(HOUR))).toEqual({ outcome: 'unknown' });
        expect(await store.outbox.claim(secondMail.id, at(HOUR), 60_000)).toBeUndefined();
      });

      const tag = () => randomBytes(4).toString('hex');
      const digits = () => `${randomInt(200, 999)}${randomInt(1_000_000, 9_999_999)}`;
      it.each([
        ['the email in upper case, padded', (t: string) => [`Jane.${t}@Example.COM`, `  JANE.${t}@EXAMPLE.COM `], { email: true, phone: false }],
        ['the phone with spaces and parentheses', (d: string) => [`+1${d}`, `+1 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`], { email: false, phone: true }],
        ['the phone with dots', (d: string) => [`+1${d}`, `+1.${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`], { email: false, phone: true }],
      ] as const)('clashes on %s once the use case normalized it', async (_case, variants, expected) => {
        const [stored, variant] = variants(expected.email ? tag() : digits());
        const normalize = (v: string) => (expected.email ? normalizeEmail(v) : normalizePhone(v)!);
        const field = expected.email ? 'email' : 'phone_number';
        await create(patientFixture({ [field]: normalize(stored!) }));
        expect(await refusal(insert(patientFixture({ [field]: normalize(variant!) })))).toEqual(expected);
      });

      it('clashes on both a case variant of the email and a format variant of the phone at once', async () => {
        const d = digits();
        const t = tag();
        await create(patientFixture({ email: normalizeEmail(`jane.${t}@email.com`), phone_number: normalizePhone(`+1${d}`)! }));
        const variant = patientFixture({ email: normalizeEmail(` JANE.${t}@Email.Com`), phone_number: normalizePhone(`+1 ${d.slice(0, 3)} ${d.slice(3)}`)! });
        expect(await refusal(insert(variant))).toEqual({ email: true, phone: true });
      });

      it('adds no normalization of its own: identifiers that differ after normalization do not clash', async () => {
        const { patient } = await create(patientFixture({ email: `jane.doe.${tag()}@email.com` }));
        const [local, domain] = patient.email.split('@');
        // Accents too: a case- and accent-folding collation (MySQL's default) would make "jané" clash with "jane".
        const others = [`${local!.replaceAll('.', '')}@${domain}`, `${local}+clinic@${domain}`, `${local!.replace('jane', 'jané')}@${domain}`];
        for (const email of others) await create(patientFixture({ email }));
        const otherPhone = patient.phone_number.slice(0, -1) + ((Number(patient.phone_number.at(-1)) + 1) % 10);
        await create(patientFixture({ phone_number: otherPhone }));
        expect(await repository.findTakenIdentifiers(others[0]!, otherPhone)).toEqual({ email: true, phone: true });
      });

      it.each([
        ['email', 'its phone'],
        ['phone', 'its email'],
      ] as const)('reserves nothing for an attempt refused on its %s: %s is free for the next patient', async (clash, _free) => {
        const { patient: first } = await create();
        const refused = patientFixture(clash === 'email' ? { email: first.email } : { phone_number: first.phone_number });
        await refusal(insert(refused));

        const next = patientFixture(clash === 'email' ? { phone_number: refused.phone_number } : { email: refused.email });
        await create(next);
        expect(await store.readPatient(next.id)).toEqual(next);
        expect(await store.readPatient(refused.id)).toBeUndefined();
      });

      it('lets exactly one of 20 concurrent creates with the same email and phone win', async () => {
        const { email, phone_number } = patientFixture();
        const attempts = Array.from({ length: 20 }, () => {
          const patient = patientFixture({ email, phone_number });
          return [patient, tokenFor(patient), mailFor(patient)] as const;
        });

        const results = await Promise.allSettled(attempts.map(([patient, token, mail]) => insert(patient, token, mail)));

        const winners = attempts.filter((_, i) => results[i]!.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const result of results.filter((r) => r.status === 'rejected')) {
          expect(result.reason).toBeInstanceOf(DuplicateRegistrationError);
          expect((result.reason as DuplicateRegistrationError).clashes).toEqual({ email: true, phone: true });
        }
        const [winner, winnerToken, winnerMail] = winners[0]!;
        for (const [patient, token, mail] of attempts) {
          if (patient === winner) continue;
          expect(await store.readPatient(patient.id)).toBeUndefined();
          expect(await repository.consumeVerificationToken(token.tokenHash, at(HOUR))).toEqual({ outcome: 'unknown' });
          expect(await store.outbox.claim(mail.id, at(HOUR), 60_000)).toBeUndefined();
        }
        expect(await store.outbox.claim(winnerMail.id, at(HOUR), 60_000)).toMatchObject({ id: winnerMail.id, attempts: 1 });
        expect(await repository.consumeVerificationToken(winnerToken.tokenHash, at(HOUR))).toEqual({ outcome: 'verified', patientId: winner.id });
      });
    });

    describe('verification tokens', () => {
      it('consuming a token verifies the email of its patient and changes nothing else', async () => {
        const { patient, token } = await create();
        const now = at(2 * HOUR);
        expect(await repository.consumeVerificationToken(token.tokenHash, now)).toEqual({ outcome: 'verified', patientId: patient.id });
        expect(await store.readPatient(patient.id)).toEqual({ ...patient, email_verified: true, updated_at: now.toISOString() });
      });

      it('a token works once: the second consumption is "used"', async () => {
        const { patient, token } = await create();
        await repository.consumeVerificationToken(token.tokenHash, at(HOUR));
        expect(await repository.consumeVerificationToken(token.tokenHash, at(2 * HOUR))).toEqual({ outcome: 'used' });
        expect(await store.readPatient(patient.id)).toMatchObject({ email_verified: true, updated_at: at(HOUR).toISOString() });
      });

      it('a hash that was never stored is "unknown"', async () => {
        const { patient } = await create();
        expect(await repository.consumeVerificationToken(tokenFor(patient).tokenHash, at(HOUR))).toEqual({ outcome: 'unknown' });
      });

      // Expiry has whole-second resolution in both stores: expired from the start of expiresAt's second.
      it.each([
        ['one second before expiry', 'verified', -1000],
        ['exactly at expiry', 'expired', 0],
        ['after expiry', 'expired', 1000],
        ['earlier within the second of a sub-second expiry', 'expired', -400, 500],
      ] as const)('consumed %s: %s', async (_case, outcome, offsetMs, expiryMs: number = 0) => {
        const patient = patientFixture();
        const expiresAt = at(24 * HOUR + expiryMs);
        const { token } = await create(patient, tokenFor(patient, expiresAt));
        const now = new Date(expiresAt.getTime() + offsetMs);
        const result = await repository.consumeVerificationToken(token.tokenHash, now);
        expect(result.outcome).toBe(outcome);
        expect((await store.readPatient(patient.id))!.email_verified).toBe(outcome === 'verified');
      });

      it('a used token stays "used" after it would have expired', async () => {
        const { token } = await create();
        await repository.consumeVerificationToken(token.tokenHash, at(HOUR));
        expect(await repository.consumeVerificationToken(token.tokenHash, at(48 * HOUR))).toEqual({ outcome: 'used' });
      });

      it('10 concurrent consumptions of one token: one "verified", the others "used"', async () => {
        const { patient, token } = await create();
        const results = await Promise.all(Array.from({ length: 10 }, () => repository.consumeVerificationToken(token.tokenHash, at(HOUR))));
        expect(results.filter((r) => r.outcome === 'verified')).toEqual([{ outcome: 'verified', patientId: patient.id }]);
        expect(results.filter((r) => r.outcome === 'used')).toHaveLength(9);
      });
    });

    describe('the verification mail in the outbox', () => {
      const LEASE = 60_000;
      it('is queued in the same transaction as the patient, due at once', async () => {
        const { mail } = await create();
        expect(await store.outbox.claim(mail.id, at(0), LEASE)).toEqual({ ...mail, attempts: 1, claimId: expect.any(String) });
      });

      it('a claim is a lease: nobody else gets the mail until it runs out', async () => {
        const { mail } = await create();
        await store.outbox.claim(mail.id, at(HOUR), LEASE);
        expect(await store.outbox.claim(mail.id, at(HOUR + LEASE - 1), LEASE)).toBeUndefined();
        expect(await store.outbox.claim(mail.id, at(HOUR + LEASE), LEASE)).toMatchObject({ id: mail.id, attempts: 2 });
      });

      it('10 concurrent claims of one mail: exactly one gets it', async () => {
        const { mail } = await create();
        const claims = await Promise.all(Array.from({ length: 10 }, () => store.outbox.claim(mail.id, at(HOUR), LEASE)));
        expect(claims.filter(Boolean)).toHaveLength(1);
      });

      it('a sent mail is never claimed or listed again', async () => {
        const { mail } = await create();
        const claimed = (await store.outbox.claim(mail.id, at(HOUR), LEASE))!;
        await store.outbox.markSent(claimed, at(HOUR));
        expect(await store.outbox.claim(mail.id, at(48 * HOUR), LEASE)).toBeUndefined();
        expect(await store.outbox.listDue(at(48 * HOUR), 1000)).not.toContain(mail.id);
      });

      it('a released mail is due again after the backoff (30 s after a first failure)', async () => {
        const { mail } = await create();
        const claimed = (await store.outbox.claim(mail.id, at(HOUR), LEASE))!;
        await store.outbox.release(claimed, at(HOUR));
        expect(await store.outbox.claim(mail.id, at(HOUR + 29_999), LEASE)).toBeUndefined();
        expect(await store.outbox.claim(mail.id, at(HOUR + 30_000), LEASE)).toMatchObject({ id: mail.id, attempts: 2 });
      });

      it('a sender whose lease was taken over can neither mark nor release the mail', async () => {
        const { mail } = await create();
        const stale = (await store.outbox.claim(mail.id, at(HOUR), LEASE))!;
        const current = (await store.outbox.claim(mail.id, at(HOUR + LEASE), LEASE))!;
        await store.outbox.release(stale, at(HOUR + LEASE));
        expect(await store.outbox.claim(mail.id, at(HOUR + LEASE + 1), LEASE)).toBeUndefined(); // still held by `current`
        await store.outbox.markSent(current, at(HOUR + LEASE + 1));
        await store.outbox.release(stale, at(HOUR + LEASE + 2));
        expect(await store.outbox.listDue(at(48 * HOUR), 1000)).not.toContain(mail.id); // a stale release did not reopen it
      });

      it('a mail out of attempts is given up, even when its senders crashed instead of releasing it', async () => {
        const { mail } = await create();
        let t = HOUR;
        for (let i = 0; i < MAX_SEND_ATTEMPTS; i++, t += LEASE) expect(await store.outbox.claim(mail.id, at(t), LEASE)).toBeDefined();
        expect(await store.outbox.claim(mail.id, at(t), LEASE)).toBeUndefined();
        expect(await store.outbox.listDue(at(t + 48 * HOUR), 1000)).not.toContain(mail.id);
      });

      it('lists the mails due by a time, oldest first', async () => {
        const early = new Date('2001-01-01T00:00:00.000Z'); // before every other mail in the store
        const [first, second] = [patientFixture(), patientFixture()];
        const [firstMail, secondMail] = [mailFor(first, early), mailFor(second, new Date(early.getTime() + 1000))];
        await insert(second, tokenFor(second), secondMail);
        await insert(first, tokenFor(first), firstMail);
        expect(await store.outbox.listDue(early, 10)).toEqual([firstMail.id]);
        expect(await store.outbox.listDue(new Date(early.getTime() + 1000), 10)).toEqual([firstMail.id, secondMail.id]);
      });
    });

    describe('resend requests in the outbox', () => {
      const LEASE = 60_000;
      const request = (to = uniqueEmail()): ResendRequest => ({ kind: 'resend_request', id: randomUUID(), to, createdAt: at(0).toISOString() });

      it('are queued on their own, for an address that may belong to nobody, and due at once', async () => {
        const queued = request();
        await store.outbox.enqueue(queued);
        expect(await store.outbox.listDue(at(0), 1000)).toContain(queued.id);
        expect(await store.outbox.claim(queued.id, at(0), LEASE)).toEqual({ ...queued, attempts: 1, claimId: expect.any(String) });
      });

      it('a phone claim request (issue 19 item 4) is queued, claimed and, once handled, forgets the number it asked about', async () => {
        const queued = { kind: 'phone_claim_request' as const, id: randomUUID(), to: uniquePhone(), createdAt: at(0).toISOString() };
        await store.outbox.enqueue(queued);
        expect(await store.outboxAddress(queued.id)).toBe(queued.to);
        const claimed = await store.outbox.claim(queued.id, at(0), LEASE);
        expect(claimed).toEqual({ ...queued, attempts: 1, claimId: expect.any(String) });
        await store.outbox.markSent(claimed!, at(1000));
        expect(await store.outboxAddress(queued.id)).toBeUndefined();
        expect(await store.outboxRaw(queued.id)).not.toContain(queued.to);
      });

      it('are claimed, released and marked done like mails', async () => {
        const queued = request();
        await store.outbox.enqueue(queued);
        const claims = await Promise.all(Array.from({ length: 5 }, () => store.outbox.claim(queued.id, at(HOUR), LEASE)));
        const [claimed, ...others] = claims.filter(Boolean);
        expect(others).toHaveLength(0);
        await store.outbox.release(claimed!, at(HOUR));
        const again = (await store.outbox.claim(queued.id, at(HOUR + 30_000), LEASE))!;
        expect(again).toMatchObject({ kind: 'resend_request', attempts: 2 });
        await store.outbox.markSent(again, at(HOUR + 30_000));
        expect(await store.outbox.claim(queued.id, at(48 * HOUR), LEASE)).toBeUndefined();
        expect(await store.outbox.listDue(at(48 * HOUR), 1000)).not.toContain(queued.id);
      });

      it.each([
        ['handled', async (item: ClaimedItem) => store.outbox.markSent(item, at(HOUR))],
        ['given up', async (item: ClaimedItem) => {
          let claimed: ClaimedItem | undefined = item;
          for (let attempt = 1; claimed; attempt++) {
            await store.outbox.release(claimed, at(HOUR * attempt));
            claimed = await store.outbox.claim(item.id, at(HOUR * (attempt + 1)), LEASE);
          }
        }],
      ])('forget the address they asked about once %s; a mail keeps its recipient', async (_case, close) => {
        const queued = request();
        await store.outbox.enqueue(queued);
        expect(await store.outboxAddress(queued.id)).toBe(queued.to);
        await close((await store.outbox.claim(queued.id, at(HOUR), LEASE))!);
        expect(await store.outboxAddress(queued.id)).toBeUndefined();
        // Removed from the stored item itself, not only hidden: no attribute or column holds it.
        expect(await store.outboxRaw(queued.id)).toBeDefined();
        expect(await store.outboxRaw(queued.id)).not.toContain(queued.to);
        expect(await store.outbox.listDue(at(48 * HOUR), 1000)).not.toContain(queued.id);

        const { patient, mail } = await create();
        // A link mail carries nothing the registrant chose, so its item holds no name either.
        expect(await store.outboxRaw(mail.id)).not.toContain(JSON.stringify(patient.first_name));
        await close((await store.outbox.claim(mail.id, at(HOUR), LEASE))!);
        expect(await store.outboxAddress(mail.id)).toBe(mail.to);
        // The link is a credential: the stored item keeps neither it nor its token.
        const token = new URL(mail.verifyUrl).searchParams.get('token')!;
        expect(await store.outboxRaw(mail.id)).toBeDefined();
        expect(await store.outboxRaw(mail.id)).not.toContain(token);
      });

      it('the same request id is never queued twice', async () => {
        const queued = request();
        await store.outbox.enqueue(queued);
        await expect(store.outbox.enqueue(queued)).rejects.toThrow();
      });
    });

    describe('resending the verification link', () => {
      it('finds a patient by normalized email, with the digest of its newest token', async () => {
        const { patient, token } = await create();
        expect(await repository.findPatientByEmail(patient.email)).toEqual({
          id: patient.id, first_name: patient.first_name, email: patient.email, phone_number: patient.phone_number,
          email_verified: false, verification_token_hash: token.tokenHash, registration_key: undefined, registration_fingerprint: undefined,
          // The newest link's seed and expiry, for sending it again (lib/patient/link-token.ts).
          verification_link: { tokenHash: token.tokenHash, seed: token.seed, expiresAt: token.expiresAt },
        });
        expect(await repository.findPatientByEmail(uniqueEmail())).toBeUndefined();
      });

      it('remembers the Idempotency-Key a patient was registered with, and that request\'s fingerprint', async () => {
        const patient = { ...patientFixture(), registration_key: `key-${randomBytes(6).toString('hex')}`, registration_fingerprint: randomBytes(32).toString('hex') };
        await insert(patient, tokenFor(patient), mailFor(patient));
        expect(await repository.findPatientByEmail(patient.email)).toMatchObject({
          registration_key: patient.registration_key, registration_fingerprint: patient.registration_fingerprint,
        });
        expect(await store.readPatient(patient.id)).toEqual(patient);
      });

      it('a new token supersedes the old one and its mail is queued', async () => {
        const { patient, token } = await create();
        const contact = (await repository.findPatientByEmail(patient.email))!;
        const [next, nextMail] = [tokenFor(patient, at(25 * HOUR)), mailFor(patient, at(HOUR))];
        expect(await repository.replaceVerificationToken(contact, next, nextMail)).toBe(true);
        expect(await repository.findPatientByEmail(patient.email)).toMatchObject({
          verification_token_hash: next.tokenHash,
          verification_link: { tokenHash: next.tokenHash, seed: next.seed, expiresAt: next.expiresAt },
        });
        expect(await repository.consumeVerificationToken(token.tokenHash, at(2 * HOUR))).toEqual({ outcome: 'superseded' });
        expect(await store.outbox.claim(nextMail.id, at(HOUR), 60_000)).toMatchObject({ id: nextMail.id });
        expect(await repository.consumeVerificationToken(next.tokenHash, at(2 * HOUR))).toEqual({ outcome: 'verified', patientId: patient.id });
        // A used link is never sent again: its seed is forgotten with it.
        expect((await repository.findPatientByEmail(patient.email))?.verification_link).toBeUndefined();
      });

      it('a live link\'s mail can be queued again on its own (a resend inside its life)', async () => {
        const { patient } = await create();
        const again = mailFor(patient, at(HOUR));
        await store.outbox.enqueue(again);
        expect(await store.outbox.claim(again.id, at(HOUR), 60_000)).toMatchObject({ kind: 'verification_email', id: again.id, verifyUrl: again.verifyUrl, to: patient.email });
      });

      it('refuses a replacement based on a stale read and writes nothing', async () => {
        const { patient } = await create();
        const contact = (await repository.findPatientByEmail(patient.email))!;
        expect(await repository.replaceVerificationToken(contact, tokenFor(patient), mailFor(patient))).toBe(true);
        const [late, lateMail] = [tokenFor(patient), mailFor(patient)];
        expect(await repository.replaceVerificationToken(contact, late, lateMail)).toBe(false);
        expect(await repository.consumeVerificationToken(late.tokenHash, at(HOUR))).toEqual({ outcome: 'unknown' });
        expect(await store.outbox.claim(lateMail.id, at(HOUR), 60_000)).toBeUndefined();
      });

      it('refuses a replacement once the email is verified', async () => {
        const { patient, token } = await create();
        const contact = (await repository.findPatientByEmail(patient.email))!;
        await repository.consumeVerificationToken(token.tokenHash, at(HOUR));
        expect(await repository.replaceVerificationToken(contact, tokenFor(patient), mailFor(patient))).toBe(false);
        expect(await repository.findPatientByEmail(patient.email)).toMatchObject({ email_verified: true, verification_token_hash: token.tokenHash });
      });
    });

    describe('idempotency keys', () => {
      const newKey = () => `key-${randomBytes(6).toString('hex')}`;
      const CREATED = { statusCode: 201, body: '{"success":true}' };

      it('the first request starts; a repeat while it runs is in progress; another body is a mismatch', async () => {
        const key = newKey();
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(0))).toEqual({ state: 'started' });
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(1000))).toEqual({ state: 'in-progress' });
        expect(await store.registrations.begin(key, 'body-2', 'owner-2', at(1000))).toEqual({ state: 'mismatch' });
      });

      it('a completed request is replayed, to the same body only', async () => {
        const key = newKey();
        await store.registrations.begin(key, 'body-1', 'owner-1', at(0));
        await store.registrations.complete(key, 'owner-1', CREATED, at(1000));
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(2000))).toEqual({ state: 'completed', response: CREATED });
        expect(await store.registrations.begin(key, 'body-2', 'owner-2', at(2000))).toEqual({ state: 'mismatch' });
      });

      it('an abandoned key starts again', async () => {
        const key = newKey();
        await store.registrations.begin(key, 'body-1', 'owner-1', at(0));
        await store.registrations.abandon(key, 'owner-1');
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(1000))).toEqual({ state: 'started' });
      });

      it('abandon leaves a completed key alone', async () => {
        const key = newKey();
        await store.registrations.begin(key, 'body-1', 'owner-1', at(0));
        await store.registrations.complete(key, 'owner-1', CREATED, at(1000));
        await store.registrations.abandon(key, 'owner-1');
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(2000))).toEqual({ state: 'completed', response: CREATED });
      });

      it('a request whose lock (60 s) ran out is taken over by the same body only', async () => {
        const key = newKey();
        await store.registrations.begin(key, 'body-1', 'owner-1', at(0));
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(60_000))).toEqual({ state: 'in-progress' });
        expect(await store.registrations.begin(key, 'body-2', 'owner-2', at(60_001))).toEqual({ state: 'mismatch' });
        expect(await store.registrations.begin(key, 'body-1', 'owner-1', at(60_001))).toEqual({ state: 'started' });
      });

      it('a key past its 24 h retention counts as absent, even before any cleanup removed it', async () => {
        const key = newKey();
        await store.registrations.begin(key, 'body-1', 'owner-1', at(0));
        await store.registrations.complete(key, 'owner-1', CREATED, at(1000));
        expect(await store.registrations.begin(key, 'body-2', 'owner-2', at(24 * HOUR + 1000))).toEqual({ state: 'started' });
      });

      it('a request that lost its key to a takeover can neither complete nor abandon it', async () => {
        const key = newKey();
        await store.registrations.begin(key, 'body-1', 'slow', at(0));
        expect(await store.registrations.begin(key, 'body-1', 'retry', at(60_001))).toEqual({ state: 'started' });
        await store.registrations.abandon(key, 'slow');
        await store.registrations.complete(key, 'slow', { statusCode: 201, body: '{"stale":true}' }, at(61_000));
        expect(await store.registrations.begin(key, 'body-1', 'third', at(62_000))).toEqual({ state: 'in-progress' });
        await store.registrations.complete(key, 'retry', CREATED, at(63_000));
        expect(await store.registrations.begin(key, 'body-1', 'third', at(64_000))).toEqual({ state: 'completed', response: CREATED });
      });

      it('10 concurrent first requests with one key: exactly one starts', async () => {
        const key = newKey();
        const starts = await Promise.all(Array.from({ length: 10 }, () => store.registrations.begin(key, 'body-1', 'owner-1', at(0))));
        expect(starts.filter((s) => s.state === 'started')).toHaveLength(1);
        expect(starts.filter((s) => s.state === 'in-progress')).toHaveLength(9);
      });
    });

    describe('rate limits', () => {
      const rule = { limit: 3, windowSeconds: 60 };
      const newKey = () => `rate-${randomBytes(6).toString('hex')}`;

      it('allows the limit per fixed window, then refuses until the window ends', async () => {
        const key = newKey(); // REGISTERED_AT starts a minute, so windows are [0 s, 60 s)
        for (const second of [0, 10, 20]) expect(await store.rateLimiter.hit(key, rule, at(second * 1000))).toEqual({ allowed: true });
        expect(await store.rateLimiter.hit(key, rule, at(45_000))).toEqual({ allowed: false, retryAfterSeconds: 15 });
        expect(await store.rateLimiter.hit(key, rule, at(60_000))).toEqual({ allowed: true });
      });

      it('counts concurrent hits exactly: 10 at once against a limit of 3 let 3 through', async () => {
        const key = newKey();
        const decisions = await Promise.all(Array.from({ length: 10 }, () => store.rateLimiter.hit(key, rule, at(0))));
        expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
      });
    });

    describeSessionContract({
      sessions: () => store.sessions,
      loginFailures: () => store.loginFailures,
      newPatient: async () => (await create()).patient.id,
    });

    describeSessionListingContract({ sessions: () => store.sessions, newPatient: async () => (await create()).patient.id });

    describeAuditTrailContract({ audit: () => store.audit });
    describeRateLimitContract({ rateLimiter: () => store.rateLimiter });
    describeSignInStorageContract({ store: () => store, create, patientFixture, tokenFor, mailFor, uniqueEmail, uniquePhone });
    describePhoneVerificationContract({ store: () => store, create });
    describePhoneClaimContract({ store: () => store, create, patientFixture, tokenFor: (p) => tokenFor(p), mailFor: (p) => mailFor(p) });
    describePasswordResetContract({ store: () => store, create, patientFixture });
    describeProfileUpdateContract({ store: () => store, create, patientFixture });
    describeLinkStateContract({ store: () => store, create, patientFixture, mailFor });
    describeAccountCloseContract({ store: () => store, create, patientFixture });
    describeSessionCredentialContract({ store: () => store, create, patientFixture });
    describeEmailMoveContract({ store: () => store, create, patientFixture, uniqueEmail, uniquePhone });
    describePhoneMoveContract({ store: () => store, create, patientFixture, uniquePhone });
    describePhoneMoveTakeoverContract({ store: () => store, create, patientFixture, tokenFor, mailFor });
    describeSecondFactorContract({ store: () => store, create });
    describePasskeyStorageContract({ store: () => store, create });
  });
}
