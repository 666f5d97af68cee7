import { describe, expect, it } from 'vitest';
import { GoneTokenError, InvalidTokenError } from '../../lib/errors.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { newVerification, TOKEN_LIFETIME_MS } from '../../lib/patient/verification-token.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

/** A registered patient and the token from its mail. */
async function registered(deps: FakeDeps) {
  const { patient } = await registerPatient(uniqueRegistration() as RegistrationRequest, deps);
  return { patientId: patient.patient_id, token: tokenOf(deps.mailer.sent.at(-1)!.verifyUrl) };
}

/** Issues a newer link for the patient, as a resend does: the earlier one is superseded. */
async function resend(deps: FakeDeps, email: string) {
  const contact = (await deps.repository.findPatientByEmail(email))!;
  const { token, mail } = newVerification(contact, deps.clock.now(), deps.verifyUrlBase);
  expect(await deps.repository.replaceVerificationToken(contact, token, mail)).toBe(true);
}

describe('verifyEmail', () => {
  it('a fresh token verifies its patient', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    expect(await verifyEmail(token, deps)).toEqual({ patientId });
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(true);
  });

  it.each([
    ['a token never issued', 'unknown', async (_deps: FakeDeps, _token: string) => 'A'.repeat(43)],
    ['a used token', 'used', async (deps: FakeDeps, token: string) => (await verifyEmail(token, deps), token)],
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
    const error = await verifyEmail(presented, deps).then(() => expect.fail('verified'), (e: unknown) => e);
    expect(error).toBeInstanceOf(outcome === 'unknown' ? InvalidTokenError : GoneTokenError);
    expect(deps.repository.readPatient(patientId)!.email_verified).toBe(verifiedBefore);
  });

  it('one second before expiry the token still works', async () => {
    const deps = createFakeDeps();
    const { patientId, token } = await registered(deps);
    deps.clock.advance(TOKEN_LIFETIME_MS - 1000);
    expect(await verifyEmail(token, deps)).toEqual({ patientId });
  });
});
