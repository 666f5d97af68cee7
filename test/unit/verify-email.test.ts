import { describe, expect, it } from 'vitest';
import { GoneTokenError, InvalidTokenError, SignInLockedError, SignInRefusedError, WrongPasswordError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { newVerification, TOKEN_LIFETIME_MS } from '../../lib/patient/verification-token.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
const PASSWORD = uniqueRegistration().password;

/** A registered patient and the token from its mail. */
async function registered(deps: FakeDeps) {
  const { patient } = await registerPatient(uniqueRegistration() as RegistrationRequest, deps);
  await deliverDueMails(deps); // the verification mail, sent by the outbox mailer
  return { patientId: patient.patient_id, token: tokenOf(deps.mailer.sent.at(-1)!.verifyUrl) };
}

const verify = (deps: FakeDeps, token: string, password = PASSWORD) => verifyEmail({ token, password }, { requestId: 'req-1', sourceIp: '198.51.100.7' }, deps);
const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('verified'), (e: unknown) => e);

/** Issues a newer link for the patient, as a resend does: the earlier one is superseded. */
async function resend(deps: FakeDeps, email: string) {
  const contact = (await deps.repository.findPatientByEmail(email))!;
  const { token, mail } = await newVerification(contact, deps.clock.now(), deps.verifyUrlBase, deps.identifiers);
  expect(await deps.repository.replaceVerificationToken(contact, token, mail)).toBe(true);
}

describe('verifyEmail', () => {
  it('a fresh token with the password verifies its patient and signs it in', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    const tokens = await verify(deps, token);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(true);
    expect(tokens).toMatchObject({ patient_id: patientId, token_type: 'Bearer', expires_in: 900 });
    expect((await deps.tokens.verify(tokens.access_token, deps.clock.now())).patientId).toBe(patientId);
    expect(await deps.sessions.familyOf(await sha256(tokens.refresh_token))).toMatchObject({ patientId });
    expect(await deps.audit.eventsFor(patientId)).toEqual([
      expect.objectContaining({ action: 'email_verification', outcome: 'success', patientId, requestId: 'req-1', sourceIpDigest: expect.stringMatching(/^v1\./) }),
    ]);
  });

  it('the wrong password (the pre-account hijack) verifies nothing, keeps the token and counts a failure', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    expect(await failure(verify(deps, token, 'NotTheSquattersPassword1!'))).toBeInstanceOf(WrongPasswordError);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(false);
    expect((await deps.storage.loginFailures.read(patientId)).failures).toBe(1);
    expect(await deps.audit.eventsFor(patientId)).toEqual([expect.objectContaining({ outcome: 'failure', reason: 'wrong_password' })]);
    // The token was not consumed: the right password still verifies with it.
    await expect(verify(deps, token)).resolves.toMatchObject({ patient_id: patientId });
    expect((await deps.storage.loginFailures.read(patientId)).failures).toBe(0);
  });

  it('after five wrong passwords the form is locked like sign-in, before the password is checked', async () => {
    const deps = createFakeDeps();
    const { token } = await registered(deps);
    for (let i = 0; i < 5; i++) await failure(verify(deps, token, `wrong-${i}`));
    const compares = deps.hasher.compares.length;
    const error = await failure(verify(deps, token));
    expect(error).toBeInstanceOf(SignInLockedError);
    expect((error as SignInLockedError).retryAfterSeconds).toBe(1);
    expect(deps.hasher.compares).toHaveLength(compares);
  });

  it.each([
    ['a token never issued', 'unknown', async (_deps: FakeDeps, _token: string) => 'A'.repeat(43)],
    ['a used token', 'used', async (deps: FakeDeps, token: string) => (await verify(deps, token), token)],
    ['an expired token (24 h)', 'expired', async (deps: FakeDeps, token: string) => (deps.clock.advance(TOKEN_LIFETIME_MS), token)],
    ['a token replaced by a newer link', 'superseded', async (deps: FakeDeps, token: string) => {
      await resend(deps, deps.mailer.sent.at(-1)!.to);
      return token;
    }],
  ] as const)('%s is refused as %s and verifies nothing', async (_case, outcome, prepare) => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    const presented = await prepare(deps, token);
    const verifiedBefore = deps.repository.readPatient(patientId)!.email_verified;
    const error = await failure(verify(deps, presented));
    expect(error).toBeInstanceOf(outcome === 'unknown' ? InvalidTokenError : GoneTokenError);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(verifiedBefore);
  });

  it('a deactivated account is verified but not signed in', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    deps.repository.setActive(patientId, false);
    expect(await failure(verify(deps, token))).toBeInstanceOf(SignInRefusedError);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(true);
    expect((await deps.audit.eventsFor(patientId)).map((e) => [e.outcome, e.reason])).toEqual([['failure', 'inactive']]);
  });

  it('one second before expiry the token still works', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    deps.clock.advance(TOKEN_LIFETIME_MS - 1000);
    await expect(verify(deps, token)).resolves.toMatchObject({ patient_id: patientId });
  });
});

async function sha256(value: string) {
  const { hashRefreshToken } = await import('../../lib/auth/refresh-token.js');
  return hashRefreshToken(value);
}
