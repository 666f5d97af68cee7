import { describe, expect, it } from 'vitest';
import { US_CORE_PATIENT } from '../../lib/record/fhir.js';
import { validateFhir } from '../support/fhir-validator.js';
import { api, verifiedPatient } from '../support/sign-in-api.js';

/** GET /me with Accept: application/fhir+json (issue 20): the record as a FHIR R4 US Core Patient, through the real handler and DynamoDB Local. */
describe('GET /me as FHIR', () => {
  it('answers a valid R4 Patient with the fhir+json media type, the decrypted contact and no password hash', async () => {
    const { body, patientId, session } = await verifiedPatient();
    const response = await api.me({ Authorization: `Bearer ${session.access_token}`, Accept: 'application/fhir+json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['Content-Type']).toBe('application/fhir+json; charset=utf-8');
    expect(response.headers.Vary).toBe('Accept');
    const patient = response.body;
    expect(() => validateFhir(patient)).not.toThrow();
    expect(patient).toMatchObject({
      resourceType: 'Patient',
      id: patientId,
      meta: { profile: [US_CORE_PATIENT] },
      name: [{ family: body.last_name, given: [body.first_name] }],
      birthDate: body.date_of_birth,
      contact: [{ relationship: [{ coding: [{ code: 'C' }] }], name: { text: body.emergency_contact.name } }],
    });
    expect(JSON.stringify(patient)).not.toMatch(/password|\$2[aby]\$/);
  });

  it('any other Accept gets the spec envelope, as before', async () => {
    const { patientId, session } = await verifiedPatient();
    const response = await api.me({ Authorization: `Bearer ${session.access_token}`, Accept: 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ success: true, data: { id: patientId } });
  });

  it('without a token the FHIR request gets the same 401 as any other', async () => {
    const response = await api.me({ Accept: 'application/fhir+json' });
    expect(response.statusCode).toBe(401);
    expect(response.body.success).toBe(false);
  });
});
