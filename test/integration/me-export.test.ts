import { describe, expect, it } from 'vitest';
import { identifierSystem, US_CORE_PATIENT } from '../../lib/record/fhir.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { validateFhir } from '../support/fhir-validator.js';
import { api, sessionsApi, verifiedPatient } from '../support/sign-in-api.js';

/** GET /me/export (issue 20, the right of access) through the real handlers, DynamoDB Local (both tables) and the local keys. */
describe('GET /me/export', () => {
  async function signedIn() {
    const patient = await verifiedPatient({ medical_history: ['Asthma', 'Hay fever'] });
    const token = patient.session.access_token as string;
    return { ...patient, token };
  }

  it('answers the record as GET /me, the live sessions and the patient\'s own trail, never cached', async () => {
    const { token, patientId, body } = await signedIn();
    const me = await api.meAs(token);
    const iPhone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
    const other = await sessionsApi.loginFrom(iPhone, body.email, body.password);
    const response = await api.meExport(token);
    expect(response.statusCode).toBe(200);
    expect(response.headers['Cache-Control']).toBe('no-store');
    expect(response.headers['Content-Type']).toBe('application/json; charset=utf-8');
    const { data } = response.body;
    expect(data.record).toEqual(me.body.data);
    expect(data.sessions.map((s: { current: boolean }) => s.current).sort()).toEqual([false, true]);
    expect(data.sessions.find((s: { current: boolean }) => !s.current).device).toBe('Safari 17 on iOS');
    expect(other.statusCode).toBe(200);
    const stored = await auditTrailOf(patientId);
    // Everything stored up to the export, in order; the export itself is the one event after it.
    expect(data.audit_trail.map((e: { id: string }) => e.id)).toEqual(stored.slice(0, -1).map((e) => e.id));
    expect(data.audit_trail.map((e: { action: string }) => e.action)).toEqual(['email_verification', 'record_read', 'sign_in']);
  });

  it('gives no secret: no password or its hash, no token, no source address or its digest, no other patient\'s events', async () => {
    const { token, patientId, body, session } = await signedIn();
    const stranger = await signedIn();
    await api.meAs(stranger.token);
    const text = JSON.stringify((await api.meExport(token)).body);
    for (const secret of [body.password, token, session.refresh_token, '203.0.113.10']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\$2[aby]\$|password_hash|digest/);
    for (const event of await auditTrailOf(patientId)) if (event.sourceIpDigest) expect(text).not.toContain(event.sourceIpDigest);
    for (const event of await auditTrailOf(stranger.patientId)) expect(text).not.toContain(event.id);
    expect(text).not.toContain(stranger.patientId);
  });

  it('is audited as record_export, which the next export shows', async () => {
    const { token, patientId } = await signedIn();
    await api.meExport(token);
    const event = (await auditTrailOf(patientId)).at(-1)!;
    expect(event).toMatchObject({ action: 'record_export', outcome: 'success', fields: expect.arrayContaining(['medical_history', 'insurance_info']) });
    const again = await api.meExport(token);
    expect(again.body.data.audit_trail.at(-1)).toEqual({ id: event.id, at: event.at, action: 'record_export', outcome: 'success', fields: event.fields, session_id: event.sessionId, request_id: event.requestId });
  });

  it('?format=fhir answers a valid FHIR R4 collection Bundle (application/fhir+json, no-store): the US Core Patient, the Coverage and a Condition per history entry', async () => {
    const { token, patientId, body } = await signedIn();
    const response = await api.meExport(token, { format: 'fhir' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['Content-Type']).toBe('application/fhir+json; charset=utf-8');
    expect(response.headers['Cache-Control']).toBe('no-store');
    const bundle = response.body;
    expect(() => validateFhir(bundle)).not.toThrow();
    for (const { resource } of bundle.entry) expect(() => validateFhir(resource)).not.toThrow();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual(['Patient', 'Coverage', 'Condition', 'Condition']);
    expect(bundle.entry[0].resource).toMatchObject({
      id: patientId,
      meta: { profile: [US_CORE_PATIENT] },
      // The service's own URI: its token issuer (TOKEN_ISSUER), as GET /me's FHIR answer names it.
      identifier: [{ system: identifierSystem(process.env.TOKEN_ISSUER!), value: patientId }],
      telecom: [{ system: 'email', value: body.email }, { system: 'phone', value: body.phone_number }],
      contact: [{ relationship: [{ coding: [{ code: 'C' }] }] }],
    });
    expect(bundle.entry.slice(2).map((e: { resource: { code: { text: string } } }) => e.resource.code.text)).toEqual(['Asthma', 'Hay fever']);
    expect((await auditTrailOf(patientId)).at(-1)).toMatchObject({ action: 'record_export', outcome: 'success' });
  });

  it('an unknown format is 400 in the envelope, with nothing read or audited; without a token it is the usual 401', async () => {
    const { token, patientId } = await signedIn();
    const before = (await auditTrailOf(patientId)).length;
    const refused = await api.meExport(token, { format: 'xml' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toEqual({ success: false, message: 'format must be one of: json, fhir' });
    expect(await auditTrailOf(patientId)).toHaveLength(before);
    const anonymous = await api.meExport(undefined, { format: 'xml' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body.success).toBe(false);
  });
});
