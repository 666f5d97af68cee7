import { describe, expect, it } from 'vitest';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { InvalidAccessTokenError } from '../../lib/errors.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const WITH_HISTORY = { overrides: { medical_history: ['asthma', 'penicillin allergy'] } };
const callerOf = async (deps: FakeDeps, patientId: string) => deps.tokens.verify((await deps.tokens.issue(patientId, deps.clock.now())).token, deps.clock.now());

describe('readOwnRecord (GET /me)', () => {
  it('gives every field of the spec\'s schema but password_hash, with medical history and insurance decrypted', async () => {
    const deps = createFakeDeps();
    const { patientId, body } = await registeredPatient(deps, WITH_HISTORY);
    const record = await readOwnRecord(await callerOf(deps, patientId), CONTEXT, deps);
    expect(Object.keys(record).sort()).toEqual([
      'address', 'created_at', 'date_of_birth', 'email', 'email_verified', 'emergency_contact', 'first_name', 'gender', 'id',
      'insurance_info', 'is_active', 'last_name', 'medical_history', 'phone_number', 'phone_verified', 'updated_at',
    ]);
    expect(record).toMatchObject({ id: patientId, medical_history: body.medical_history, insurance_info: body.insurance_info, email_verified: true });
    expect(JSON.stringify(record)).not.toMatch(/password|registration_|lapses_at|fake-hash/);
    expect(deps.cipher.decrypted).toEqual([patientId]);
  });

  it('a patient without medical history or insurance gets neither field, and nothing is decrypted', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps, { overrides: { insurance_info: undefined } });
    const record = await readOwnRecord(await callerOf(deps, patientId), CONTEXT, deps);
    expect(record).not.toHaveProperty('medical_history');
    expect(record).not.toHaveProperty('insurance_info');
    expect(deps.cipher.decrypted).toEqual([]);
  });

  it('every read is audited with the names of the fields disclosed, never their values', async () => {
    const deps = createFakeDeps();
    const { patientId, body } = await registeredPatient(deps, WITH_HISTORY);
    const record = await readOwnRecord(await callerOf(deps, patientId), CONTEXT, deps);
    const event = (await deps.audit.eventsFor(patientId)).at(-1)!;
    expect(event).toMatchObject({ action: 'record_read', outcome: 'success', patientId, requestId: CONTEXT.requestId });
    expect([...event.fields!].sort()).toEqual(Object.keys(record).sort());
    expect(JSON.stringify(event)).not.toContain(body.insurance_info!.policy_number);
    expect(JSON.stringify(event)).not.toContain(body.medical_history![0]);
  });

  it('no answer when the read cannot be audited', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    deps.auditor.record = async () => {
      throw new Error('audit store down');
    };
    await expect(readOwnRecord(await callerOf(deps, patientId), CONTEXT, deps)).rejects.toThrow('audit store down');
  });

  it('a token for a patient that is not stored is a bad token', async () => {
    const deps = createFakeDeps();
    await expect(readOwnRecord(await callerOf(deps, '9d4c3c0e-0000-4000-8000-000000000000'), CONTEXT, deps)).rejects.toBeInstanceOf(InvalidAccessTokenError);
  });

  it('a deactivated patient gets 403', async () => {
    const deps = createFakeDeps();
    const { patientId } = await registeredPatient(deps);
    deps.repository.setActive(patientId, false);
    await expect(readOwnRecord(await callerOf(deps, patientId), CONTEXT, deps)).rejects.toMatchObject({ statusCode: 403 });
  });
});
