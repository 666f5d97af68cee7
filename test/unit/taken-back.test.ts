import { describe, expect, it } from 'vitest';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { requestPasswordReset } from '../../lib/password/forgot-password.js';
import { resetPassword } from '../../lib/password/reset-password.js';
import { validateProfile } from '../../lib/patient/generated/me-update.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { etagOf } from '../../lib/record/etag.js';
import { updateProfile } from '../../lib/record/update-profile.js';
import { captureOutput } from '../support/capture-output.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

captureOutput();

/*
 * Issue 20, "Taken-back accounts": a reset that proves the mailbox of a never-verified registration
 * removes what the registrant typed that is not the owner's, and asks the owner to review the rest.
 */
const NEW_PASSWORD = 'N3w-Passphrase!x';
const SQUATTER_DATA = {
  medical_history: ['Canary-Condition-7731'],
  insurance_info: { provider: 'Canary Mutual', policy_number: 'CANARY-0042' },
  emergency_contact: { name: 'Canary Contact', phone: '+14155552671', relationship: 'friend' },
};

async function resetBy(deps: FakeDeps, email: string) {
  await requestPasswordReset(email, deps);
  await deliverDueMails(deps);
  const token = new URL(deps.mailer.resetMails.at(-1)!.resetUrl).searchParams.get('token')!;
  await resetPassword({ token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, CONTEXT, deps);
}

const callerOf = async (deps: FakeDeps, patientId: string) => deps.tokens.verify((await deps.tokens.issue(patientId, deps.clock.now())).token, deps.clock.now());

/** A squatter's never-verified registration with patient data, taken back by the address's owner. */
async function takenBack({ phoneProven = false } = {}) {
  const deps = createFakeDeps();
  const body = uniqueRegistration(SQUATTER_DATA) as RegistrationRequest;
  const { patient } = await registerPatient(body, deps);
  if (phoneProven) deps.repository.markPhoneVerified(patient.patient_id, deps.clock.now());
  await resetBy(deps, body.email);
  const caller = await callerOf(deps, patient.patient_id);
  const read = () => readOwnRecord(caller, CONTEXT, deps);
  const patch = async (fields: Record<string, unknown>) =>
    updateProfile(caller, { ifMatch: etagOf(await read()), patch: fields }, CONTEXT, { ...deps, validateProfile });
  return { deps, body, patientId: patient.patient_id, read, patch };
}

describe('a reset of a never-verified registration takes the account back', () => {
  it('deletes medical history, insurance and emergency contact, releases the unproven number, and asks for a review', async () => {
    const { deps, body, patientId, read } = await takenBack();
    const stored = deps.repository.readPatient(patientId)!;
    expect(stored.encrypted).toBeUndefined();
    expect(stored.emergency_contact).toBeUndefined();
    expect(stored.phone_number_released).toBe(true);
    const view = await read();
    expect(view).toMatchObject({ profile_review_required: true, phone_number: null, phone_number_released: true, email_verified: true });
    expect(view).not.toHaveProperty('medical_history');
    expect(view).not.toHaveProperty('insurance_info');
    expect(view).not.toHaveProperty('emergency_contact');
    // The names stay until the owner reviews them; the number is free for its owner.
    expect(view.first_name).toBe(body.first_name);
    expect(await deps.repository.findTakenIdentifiers('nobody@clinic.test', body.phone_number)).toEqual({ email: false, phone: false });
  });

  it('audits the deleted fields by name, never their values', async () => {
    const { deps, patientId } = await takenBack();
    const events = await deps.audit.eventsFor(patientId);
    const event = events.find((e) => e.action === 'record_update' && e.reason === 'taken_back');
    expect([...(event?.fields ?? [])].sort()).toEqual(['emergency_contact', 'insurance_info', 'medical_history', 'phone_number']);
    const text = JSON.stringify(events);
    for (const value of ['Canary-Condition-7731', 'Canary Mutual', 'CANARY-0042', 'Canary Contact']) expect(text).not.toContain(value);
  });

  it('keeps a number proven by SMS', async () => {
    const { deps, patientId, read } = await takenBack({ phoneProven: true });
    expect(deps.repository.readPatient(patientId)!.phone_number_released).toBeUndefined();
    expect(await read()).toMatchObject({ phone_verified: true, profile_review_required: true });
    expect((await deps.audit.eventsFor(patientId)).find((e) => e.reason === 'taken_back')?.fields).not.toContain('phone_number');
  });

  it('leaves a verified account\'s reset alone: nothing deleted, no review', async () => {
    const deps = createFakeDeps();
    const { patientId, email } = await registeredPatient(deps, { overrides: SQUATTER_DATA });
    await resetBy(deps, email);
    const stored = deps.repository.readPatient(patientId)!;
    expect(stored.encrypted).toBeDefined();
    expect(stored.emergency_contact).toBeDefined();
    expect(stored.profile_review_required).toBeUndefined();
    expect(stored.phone_number_released).toBeUndefined();
  });
});

describe('the review: PATCH /me clears profile_review_required only when it names all five reviewed fields', () => {
  it('a PATCH of some of them leaves it set', async () => {
    const { patch, read } = await takenBack();
    await patch({ last_name: 'Owner' });
    expect(await read()).toMatchObject({ last_name: 'Owner', profile_review_required: true });
  });

  it('a PATCH naming names, date of birth, gender and address clears it, even when nothing changes (a confirmation)', async () => {
    const { patch, read } = await takenBack();
    const current = await read();
    const { view } = await patch({
      first_name: current.first_name, last_name: current.last_name, date_of_birth: current.date_of_birth, gender: current.gender, address: current.address,
    });
    expect(view).not.toHaveProperty('profile_review_required');
    const after = await read();
    expect(after).not.toHaveProperty('profile_review_required');
    expect(after.updated_at).not.toBe(current.updated_at);
  });
});
