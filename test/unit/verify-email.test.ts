import { describe, expect, it } from 'vitest';
import { attemptSubjects, LINK_PASSWORD_TRIES } from '../../lib/auth/lockout-policy.js';
import { signInSession as signIn } from '../support/signed-in.js';
import { GoneTokenError, InvalidTokenError, SignInLockedError, SignInRefusedError, WrongPasswordError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { hashVerificationToken, newVerification, TOKEN_LIFETIME_MS } from '../../lib/patient/verification-token.js';
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

/** The newest verification mail, once the outbox mailer sent it. */
async function deliverNewest(deps: FakeDeps) {
  await deliverDueMails(deps);
  return deps.mailer.sent.at(-1)!;
}

const linkOf = (token: string) => attemptSubjects.link(hashVerificationToken(token));

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

  it('the wrong password (the pre-account hijack) verifies nothing, keeps the token and counts against the link, not the account', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    expect(await failure(verify(deps, token, 'NotTheSquattersPassword1!'))).toBeInstanceOf(WrongPasswordError);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(false);
    expect((await deps.storage.loginFailures.read(linkOf(token))).failures).toBe(1);
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patientId))).toEqual({ failures: 0 });
    expect(await deps.audit.eventsFor(patientId)).toEqual([expect.objectContaining({ outcome: 'failure', reason: 'wrong_password' })]);
    // The token was not consumed: the right password still verifies with it.
    await expect(verify(deps, token)).resolves.toMatchObject({ patient_id: patientId });
    expect((await deps.storage.loginFailures.read(linkOf(token))).failures).toBe(0);
  });

  it(`after ${LINK_PASSWORD_TRIES} wrong passwords the link is spent (410), before the password is checked; a new link works`, async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    for (let i = 0; i < LINK_PASSWORD_TRIES; i++) expect(await failure(verify(deps, token, `wrong-${i}`))).toBeInstanceOf(WrongPasswordError);
    const compares = deps.hasher.compares.length;
    const error = await failure(verify(deps, token));
    expect(error).toBeInstanceOf(GoneTokenError);
    expect(error).toMatchObject({ statusCode: 410, reason: 'spent' });
    expect(deps.hasher.compares).toHaveLength(compares);
    deps.clock.advance(24 * 3600_000 - 1000); // still spent while the link would live
    expect(await failure(verify(deps, token))).toMatchObject({ reason: 'spent' });

    await resend(deps, deps.mailer.sent.at(-1)!.to);
    const fresh = tokenOf((await deliverNewest(deps)).verifyUrl);
    await expect(verify(deps, fresh)).resolves.toMatchObject({ patient_id: patientId });
  });

  it('works whatever the account lock: a stranger\'s sign-in guesses do not stop the mailbox owner (issue 19 item 2)', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    const email = deps.repository.readPatient(patientId)!.email;
    for (let i = 0; i < 6; i++) await signIn({ email, password: `Wrong-${i}` }, {}, deps).catch(() => undefined);
    expect(await failure(signIn({ email, password: PASSWORD }, {}, deps))).toBeInstanceOf(SignInLockedError);
    await expect(verify(deps, token)).resolves.toMatchObject({ patient_id: patientId });
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

  it('a deactivated account is refused before its email is marked verified (issue 19 item 15)', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    deps.repository.setActive(patientId, false);
    expect(await failure(verify(deps, token))).toBeInstanceOf(SignInRefusedError);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(false);
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
