import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { BadRequestError, InvalidAccessTokenError } from '../../lib/errors.js';
import { exportFormatOf, exportOwnRecord } from '../../lib/record/export-record.js';
import { toFhirBundle } from '../../lib/record/fhir.js';
import { createFakeDeps, TEST_TOKEN_ISSUER, type FakeDeps } from '../support/fakes/index.js';
import { validateFhir } from '../support/fhir-validator.js';
import { CONTEXT, registeredPatient, signInSession } from '../support/signed-in.js';

const WITH_HISTORY = { overrides: { medical_history: ['asthma', 'penicillin allergy'] } };
const LAPTOP = { ...CONTEXT, device: 'Chrome 120 on macOS' };
const exportDeps = (deps: FakeDeps) => ({ ...deps, trail: deps.audit });
const callerOf = (deps: FakeDeps, accessToken: string) => authenticate({ authorization: `Bearer ${accessToken}` }, deps);

/** A verified patient (its verification started one session) signed in once more, on a laptop. */
async function signedIn(deps: FakeDeps) {
  const patient = await registeredPatient(deps, WITH_HISTORY);
  deps.clock.advance(60_000);
  const laptop = await signInSession({ email: patient.email, password: patient.password }, LAPTOP, deps);
  return { ...patient, laptop, caller: await callerOf(deps, laptop.access_token) };
}

describe('exportOwnRecord (GET /me/export)', () => {
  it('holds the record as GET /me gives it, the live sessions (the current one flagged) and the patient\'s own trail', async () => {
    const deps = createFakeDeps();
    const { patientId, caller } = await signedIn(deps);
    const exported = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    expect(exported.record).toEqual(await readOwnRecord(caller, CONTEXT, deps));
    expect(exported.record).toMatchObject({ medical_history: ['asthma', 'penicillin allergy'] });
    expect(exported.sessions).toHaveLength(2);
    expect(exported.sessions[0]).toMatchObject({ id: caller.sessionId, device: 'Chrome 120 on macOS', current: true });
    expect(exported.sessions[1]).toMatchObject({ current: false });
    // What the patient did so far, oldest first: verified the email (a sign-in of its own), signed in.
    expect(exported.audit_trail.map((e) => [e.action, e.outcome])).toEqual([['email_verification', 'success'], ['sign_in', 'success']]);
    expect(exported.exported_at).toBe(deps.clock.now().toISOString());
    expect((await deps.audit.eventsFor(patientId)).length).toBeGreaterThan(exported.audit_trail.length);
  });

  it('shows who read or changed the record, when and with what outcome, failures included', async () => {
    const deps = createFakeDeps();
    const { email, caller } = await signedIn(deps);
    await readOwnRecord(caller, CONTEXT, deps);
    await expect(signIn({ email, password: 'not-the-password-1A!' }, CONTEXT, deps)).rejects.toMatchObject({ statusCode: 401 });
    const { audit_trail: trail } = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    expect(trail.find((e) => e.action === 'record_read')).toMatchObject({
      outcome: 'success', request_id: CONTEXT.requestId, at: expect.any(String), fields: expect.arrayContaining(['medical_history']),
    });
    expect(trail.at(-1)).toMatchObject({ action: 'sign_in', outcome: 'failure', reason: 'wrong_password' });
  });

  it('holds only the caller\'s own events and sessions, never another patient\'s', async () => {
    const deps = createFakeDeps();
    const { caller } = await signedIn(deps);
    const stranger = await signedIn(deps);
    await readOwnRecord(stranger.caller, CONTEXT, deps);
    const exported = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    const strangerEvents = new Set((await deps.audit.eventsFor(stranger.patientId)).map((e) => e.id));
    expect(exported.audit_trail.filter((e) => strangerEvents.has(e.id))).toEqual([]);
    expect(exported.audit_trail.some((e) => e.action === 'record_read')).toBe(false);
    expect(exported.sessions.map((s) => s.id)).not.toContain(stranger.caller.sessionId);
    expect(JSON.stringify(exported)).not.toContain(stranger.patientId);
  });

  it('gives no secret: no password hash, no token, no source address or its digest, no patient id in the events', async () => {
    const deps = createFakeDeps();
    const { password, laptop, session, caller } = await signedIn(deps);
    const exported = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    const text = JSON.stringify(exported);
    for (const secret of [password, laptop.access_token, laptop.refresh_token, session!.access_token, session!.refresh_token, CONTEXT.sourceIp]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/password|hash|digest|token|fake-hash/i);
    const stored = await deps.audit.eventsFor(caller.patientId);
    for (const digest of stored.map((e) => e.sourceIpDigest).filter(Boolean)) expect(text).not.toContain(digest);
    const allowed = ['id', 'at', 'action', 'outcome', 'reason', 'fields', 'session_id', 'request_id'];
    for (const entry of exported.audit_trail) expect(Object.keys(entry).filter((k) => !allowed.includes(k))).toEqual([]);
  });

  it('is audited as record_export with the record fields disclosed (never values), shown by the next export', async () => {
    const deps = createFakeDeps();
    const { patientId, body, caller } = await signedIn(deps);
    const first = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    const event = (await deps.audit.eventsFor(patientId)).at(-1)!;
    expect(event).toMatchObject({ action: 'record_export', outcome: 'success', patientId, sessionId: caller.sessionId, requestId: CONTEXT.requestId });
    expect([...event.fields!].sort()).toEqual(Object.keys(first.record).sort());
    expect(JSON.stringify(event)).not.toContain(body.medical_history![0]);
    expect(first.audit_trail.some((e) => e.action === 'record_export')).toBe(false);
    const second = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    expect(second.audit_trail.at(-1)).toMatchObject({ id: event.id, action: 'record_export', outcome: 'success' });
  });

  it('no answer when the export cannot be audited', async () => {
    const deps = createFakeDeps();
    const { caller } = await signedIn(deps);
    deps.auditor.record = async () => {
      throw new Error('audit store down');
    };
    await expect(exportOwnRecord(caller, CONTEXT, exportDeps(deps))).rejects.toThrow('audit store down');
  });

  it('a deactivated patient gets 403, audited; a token for a patient not stored is a bad token', async () => {
    const deps = createFakeDeps();
    const { patientId, caller } = await signedIn(deps);
    deps.repository.setActive(patientId, false);
    await expect(exportOwnRecord(caller, CONTEXT, exportDeps(deps))).rejects.toMatchObject({ statusCode: 403 });
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'record_export', outcome: 'failure', reason: 'inactive' });
    expect(deps.cipher.decrypted).toEqual([]);
    const ghost = await deps.tokens.verify((await deps.tokens.issue('9d4c3c0e-0000-4000-8000-000000000000', deps.clock.now(), caller.sessionId)).token, deps.clock.now());
    await expect(exportOwnRecord(ghost, CONTEXT, exportDeps(deps))).rejects.toBeInstanceOf(InvalidAccessTokenError);
  });

  it('its FHIR form (the record as a collection Bundle) is valid R4, every resource', async () => {
    const deps = createFakeDeps();
    const { caller } = await signedIn(deps);
    const exported = await exportOwnRecord(caller, CONTEXT, exportDeps(deps));
    const bundle = toFhirBundle(exported.record, TEST_TOKEN_ISSUER, new Date(exported.exported_at));
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(['Patient', 'Coverage', 'Condition', 'Condition']);
    expect(() => validateFhir(bundle)).not.toThrow();
    for (const { resource } of bundle.entry) expect(() => validateFhir(resource)).not.toThrow();
  });
});

describe('exportFormatOf (?format=)', () => {
  it.each([
    [undefined, 'json'],
    ['json', 'json'],
    ['fhir', 'fhir'],
  ] as const)('%s is %s', (format, expected) => {
    expect(exportFormatOf(format)).toBe(expected);
  });

  it.each(['', 'xml', 'FHIR', 'fhir ', 'csv'])('"%s" is a 400 naming the formats', (format) => {
    expect(() => exportFormatOf(format)).toThrow(BadRequestError);
    expect(() => exportFormatOf(format)).toThrow('format must be one of: json, fhir');
  });
});
