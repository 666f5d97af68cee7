import { describe, expect, it } from 'vitest';
import { DuplicateRegistrationError, InvalidTokenError } from '../../lib/errors.js';
import { requestFingerprint } from '../../lib/idempotency/idempotent.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createFakeDeps, fakeHash, REGISTRATION_LAPSE_MS, VERIFY_URL_BASE, type FakeDeps } from '../support/fakes/index.js';
import { captureOutput } from '../support/capture-output.js';
import { uniqueRegistration } from '../support/requests.js';

captureOutput(); // the mail-failure path logs a warning on purpose

/** A request as the validator hands it over (the use case is the unit here, not the schema). */
const request = (overrides: Partial<RegistrationRequest> = {}) => uniqueRegistration(overrides) as RegistrationRequest;
/** Registers, then runs the outbox mailer (as the table's stream would), so the mail is in deps.mailer. */
const register = async (deps: FakeDeps, body: RegistrationRequest, key?: string) => {
  const outcome = await registerPatient(body, deps, key ? { key, fingerprint: await requestFingerprint(body, deps.identifiers) } : undefined);
  await deliverDueMails(deps);
  return outcome;
};
const tokenOf = (verifyUrl: string) => new URL(verifyUrl).searchParams.get('token')!;
const refusal = (attempt: Promise<unknown>) => attempt.then(() => expect.fail('registered a duplicate'), (e: unknown) => e as DuplicateRegistrationError);

const MEDICAL = ['Canary-Condition-Asthma-5521'];
const INSURANCE = { provider: 'Canary Mutual', policy_number: 'CANARY-POL-0042' };

describe('registerPatient: identifiers are normalized before the uniqueness check and storage', () => {
  it.each([
    ['upper case', (e: string) => e.toUpperCase()],
    ['padded with spaces', (e: string) => `  ${e}\t`],
    ['mixed case and padded', (e: string) => ` ${e.toUpperCase()} `],
  ])('stores, answers and mails the email lowercased and trimmed: %s', async (_case, vary) => {
    const deps = createFakeDeps();
    const body = request();
    const { patient } = await register(deps, { ...body, email: vary(body.email) });
    expect(patient.email).toBe(body.email);
    expect(deps.repository.readPatient(patient.patient_id)!.email).toBe(body.email);
    expect(deps.mailer.sent[0]!.to).toBe(body.email);
  });

  it.each([
    ['the email in another case', (b: RegistrationRequest) => ({ email: b.email.toUpperCase() }), { email: true, phone: false }],
    ['the email padded', (b: RegistrationRequest) => ({ email: ` ${b.email} ` }), { email: true, phone: false }],
    ['the phone with separators', (b: RegistrationRequest) => ({ phone_number: `${b.phone_number.slice(0, 2)} (${b.phone_number.slice(2, 5)}) ${b.phone_number.slice(5)}` }), { email: false, phone: true }],
    ['both', (b: RegistrationRequest) => ({ email: b.email.toUpperCase(), phone_number: `${b.phone_number.slice(0, 5)}.${b.phone_number.slice(5)}` }), { email: true, phone: true }],
  ] as const)('refuses %s of a registered patient before paying for a hash, naming the clashes', async (_case, variant, clashes) => {
    const deps = createFakeDeps();
    const first = request();
    await register(deps, first);
    const hashesBefore = deps.hasher.calls;
    const second = { ...request(), ...variant(first) };
    const error = await refusal(register(deps, second));
    expect(error).toBeInstanceOf(DuplicateRegistrationError);
    expect(error.clashes).toEqual(clashes);
    expect(deps.hasher.calls).toBe(hashesBefore);
    expect(deps.repository.patients()).toHaveLength(1);
  });
});

describe('registerPatient: medical history and insurance leave the use case only encrypted', () => {
  it.each([
    ['both', { medical_history: MEDICAL, insurance_info: INSURANCE }],
    ['only medical history', { medical_history: MEDICAL, insurance_info: undefined }],
    ['only insurance', { medical_history: undefined, insurance_info: INSURANCE }],
  ])('%s: passed to the cipher for this patient, stored as ciphertext that decrypts back', async (_case, phi) => {
    const deps = createFakeDeps();
    const { patient } = await register(deps, { ...request(), ...phi });
    const given = Object.fromEntries(Object.entries(phi).filter(([, v]) => v !== undefined));

    expect(deps.cipher.encrypted).toEqual([{ patientId: patient.patient_id, fields: given }]);
    const stored = deps.repository.readPatient(patient.patient_id)!;
    expect(Object.keys(stored.encrypted!.ciphertexts).sort()).toEqual(Object.keys(given).sort());
    expect(await deps.cipher.decryptFields(patient.patient_id, stored.encrypted!)).toEqual(given);
    const raw = JSON.stringify(stored);
    for (const plain of [...MEDICAL, INSURANCE.provider, INSURANCE.policy_number]) expect(raw).not.toContain(plain);
  });

  it('without either field nothing is encrypted and no key is asked for', async () => {
    const deps = createFakeDeps();
    const { patient } = await register(deps, { ...request(), medical_history: undefined, insurance_info: undefined });
    expect(deps.cipher.encrypted).toEqual([]);
    expect(deps.repository.readPatient(patient.patient_id)!.encrypted).toBeUndefined();
  });

  it('stores the password only as its hash', async () => {
    const deps = createFakeDeps();
    const body = request();
    const { patient } = await register(deps, body);
    const stored = deps.repository.readPatient(patient.patient_id)!;
    expect(stored.password_hash).toBe(fakeHash(body.password));
    expect(JSON.stringify(stored)).not.toContain(body.password);
  });
});

describe('registerPatient: the verification link', () => {
  const tokenIn = (url: string) => {
    expect(url.startsWith(`${VERIFY_URL_BASE}?token=`)).toBe(true);
    return new URL(url).searchParams.get('token')!;
  };

  it('carries 32 random bytes as base64url, fresh per registration, that verify the email', async () => {
    const deps = createFakeDeps();
    const tokens = [];
    for (let i = 0; i < 20; i++) {
      await register(deps, request());
      tokens.push(tokenIn(deps.mailer.sent.at(-1)!.verifyUrl));
    }
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
    // 20 × 32 bytes of real randomness use nearly every one of the 256 byte values; a short token padded out does not.
    expect(new Set(tokens.flatMap((t) => [...Buffer.from(t, 'base64url')])).size).toBeGreaterThan(200);
    // The link's token is the one whose digest was stored for its patient.
    expect(await verifyEmail({ token: tokens.at(-1)!, password: request().password }, {}, deps)).toMatchObject({ patient_id: deps.repository.patients().at(-1)!.id });
  });

  it('answers after the commit, before any mail is sent: the mail waits in the outbox for the mailer', async () => {
    const deps = createFakeDeps();
    const body = request();
    const { patient } = await registerPatient(body, deps);
    expect(deps.mailer.attempts).toBe(0);
    expect(deps.repository.readPatient(patient.patient_id)).toBeDefined();
    const [queued] = await deps.outbox.listDue(deps.clock.now(), 10);
    expect(deps.outbox.statusOf(queued!)).toEqual({ status: 'pending', attempts: 0 });
    // The outbox mailer then sends the first name and the link only.
    expect(await deliverDueMails(deps)).toMatchObject({ sent: 1 });
    expect(deps.mailer.sent).toEqual([{ to: body.email, verifyUrl: expect.any(String) }]);
  });

  it('registers with the mail service down: the registration never touches it', async () => {
    const deps = createFakeDeps();
    deps.mailer.failing = true;
    const { patient } = await registerPatient(request(), deps);
    expect(deps.repository.readPatient(patient.patient_id)).toBeDefined();
    expect(deps.mailer.attempts).toBe(0);
  });
});

describe('registerPatient: a retry of a committed registration', () => {
  it.each([
    ['a retry with the same Idempotency-Key gets the committed patient', 'key-1', 'key-1', 'answered'],
    ['a retry with another Idempotency-Key is a duplicate', 'key-1', 'key-2', 'duplicate'],
    ['a retry with no key, after one with a key, is a duplicate', 'key-1', undefined, 'duplicate'],
    ['a retry with a key, after one without, is a duplicate', undefined, 'key-1', 'duplicate'],
    ['a retry with no key either time is a duplicate', undefined, undefined, 'duplicate'],
  ] as const)('%s', async (_case, firstKey, retryKey, expected) => {
    const deps = createFakeDeps();
    const body = request();
    const first = await register(deps, body, firstKey);
    const retry = register(deps, structuredClone(body), retryKey);
    if (expected === 'answered') {
      expect((await retry).patient).toEqual(first.patient);
    } else {
      expect(await refusal(retry)).toBeInstanceOf(DuplicateRegistrationError);
    }
    expect(deps.repository.patients()).toHaveLength(1);
    expect(deps.mailer.sent).toHaveLength(1);
  });
});

describe('registerPatient: an unverified registration lapses', () => {
  const DAY = 24 * 3600_000;

  it.each([
    ['the default 7 days', 7 * DAY],
    ['a configured single day', DAY],
  ])('stores lapses_at = registration time + the lapse (%s), and answers without it', async (_case, lapseMs) => {
    const deps = { ...createFakeDeps(), registrationLapseMs: lapseMs };
    const registeredAt = deps.clock.now();
    const { patient } = await register(deps, request());
    expect(deps.repository.readPatient(patient.patient_id)!.lapses_at).toBe(new Date(registeredAt.getTime() + lapseMs).toISOString());
    expect(Object.keys(patient).sort()).toEqual(['email', 'email_verified', 'patient_id', 'phone_number', 'phone_verified']);
  });

  it('unverified at the lapse, the same email and phone register again; the first link no longer verifies', async () => {
    const deps = createFakeDeps();
    const body = request();
    await register(deps, body);
    const firstLink = tokenOf(deps.mailer.sent[0]!.verifyUrl);

    deps.clock.advance(REGISTRATION_LAPSE_MS - 1000);
    expect(await refusal(register(deps, structuredClone(body)))).toBeInstanceOf(DuplicateRegistrationError);
    deps.clock.advance(1000);
    const { patient: again } = await register(deps, structuredClone(body));

    await expect(verifyEmail({ token: firstLink, password: body.password }, {}, deps)).rejects.toThrow(InvalidTokenError);
    expect(await verifyEmail({ token: tokenOf(deps.mailer.sent.at(-1)!.verifyUrl), password: body.password }, {}, deps)).toMatchObject({ patient_id: again.patient_id });
  });

  it('verified before the lapse, the registration stays', async () => {
    const deps = createFakeDeps();
    const body = request();
    const { patient } = await register(deps, body);
    await verifyEmail({ token: tokenOf(deps.mailer.sent[0]!.verifyUrl), password: body.password }, {}, deps);
    deps.clock.advance(REGISTRATION_LAPSE_MS + DAY);
    expect(await refusal(register(deps, structuredClone(body)))).toBeInstanceOf(DuplicateRegistrationError);
    expect(await deps.repository.getPatient(patient.patient_id)).toMatchObject({ email_verified: true });
  });
});
