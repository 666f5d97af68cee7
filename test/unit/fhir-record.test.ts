import { describe, expect, it } from 'vitest';
import type { PatientView } from '../../lib/auth/read-own-record.js';
import { acceptsFhir } from '../../lib/http/content-negotiation.js';
import { identifierSystem, toFhirBundle, toFhirPatient, US_CORE_PATIENT } from '../../lib/record/fhir.js';
import { validateFhir } from '../support/fhir-validator.js';

const SERVICE = 'https://api.clinic.example';
const jane: PatientView = {
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  first_name: 'Jane',
  last_name: 'Smith',
  email: 'jane.smith@email.com',
  phone_number: '+12345678901',
  date_of_birth: '1990-05-15',
  gender: 'female',
  address: { street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101', country: 'US' },
  emergency_contact: { name: 'John Smith', phone: '+12345678911', relationship: 'spouse' },
  medical_history: ['Hypertension', 'Asthma'],
  insurance_info: { provider: 'Blue Cross', policy_number: 'BC123456789' },
  email_verified: true,
  phone_verified: false,
  is_active: true,
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-02T10:00:00.000Z',
};
const { emergency_contact: _contact, medical_history: _history, insurance_info: _insurance, ...bare } = jane;

describe('the record as a FHIR R4 Patient (US Core)', () => {
  it('is a valid R4 Patient with what US Core requires: identifier with our system, name, gender, profile', () => {
    const patient = toFhirPatient(jane, SERVICE);
    expect(() => validateFhir(patient)).not.toThrow();
    expect(patient).toMatchObject({
      meta: { profile: [US_CORE_PATIENT] },
      identifier: [{ system: `${SERVICE}/patient-id`, value: jane.id }],
      name: [{ family: 'Smith', given: ['Jane'] }],
      gender: 'female',
      birthDate: '1990-05-15',
      telecom: [{ system: 'email', value: jane.email }, { system: 'phone', value: jane.phone_number }],
      address: [{ line: ['456 Main Street'], city: 'Boston', state: 'MA', postalCode: '02101', country: 'US' }],
    });
  });

  it('names the emergency contact with relationship C (v2-0131) and keeps the patient word as text', () => {
    const [contact] = toFhirPatient(jane, SERVICE).contact as { relationship: { coding: { code: string }[]; text?: string }[]; name: { text: string } }[];
    expect(contact!.relationship[0]!.coding[0]!.code).toBe('C');
    expect(contact!.relationship[0]!.text).toBe('spouse');
    expect(contact!.name.text).toBe('John Smith');
  });

  it.each([
    ['male', 'male'],
    ['female', 'female'],
    ['other', 'other'],
    ['prefer_not_to_say', 'unknown'],
  ] as const)('gender %s is AdministrativeGender %s', (gender, administrative) => {
    const patient = toFhirPatient({ ...jane, gender }, SERVICE);
    expect(patient.gender).toBe(administrative);
    expect(() => validateFhir(patient)).not.toThrow();
  });

  it('has no contact when the patient gave none, and stays valid', () => {
    const patient = toFhirPatient(bare, SERVICE);
    expect(patient.contact).toBeUndefined();
    expect(() => validateFhir(patient)).not.toThrow();
  });

  it('the identifier system is a URI of this service, without a doubled slash', () => {
    expect(identifierSystem('https://api.clinic.example/')).toBe('https://api.clinic.example/patient-id');
  });

  it('the validator is real: structural mistakes are refused (terminology is not bound, hence the gender table above)', () => {
    expect(() => validateFhir({ ...toFhirPatient(jane, SERVICE), birthDate: '15/05/1990' })).toThrow();
    expect(() => validateFhir({ ...toFhirPatient(jane, SERVICE), nickname: 'JJ' })).toThrow();
    expect(() => validateFhir({ resourceType: 'Condition', code: { text: 'Asthma' } })).toThrow(); // no subject
    expect(() => validateFhir({ resourceType: 'Coverage', status: 'active', beneficiary: { reference: 'urn:uuid:x' } })).toThrow(); // no payor
  });
});

describe('the export as a FHIR R4 collection Bundle', () => {
  const now = new Date('2026-12-07T12:00:00.000Z');

  it('holds the Patient, one Coverage and a Condition per medical-history entry, every one valid', () => {
    const bundle = toFhirBundle(jane, SERVICE, now);
    expect(() => validateFhir(bundle)).not.toThrow();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString() });
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(['Patient', 'Coverage', 'Condition', 'Condition']);
    for (const { resource } of bundle.entry) expect(() => validateFhir(resource)).not.toThrow();
  });

  it('the Coverage names the payer and the policy and points at the Patient', () => {
    const [patient, coverage] = toFhirBundle(jane, SERVICE, now).entry;
    expect(coverage!.resource).toMatchObject({ payor: [{ display: 'Blue Cross' }], subscriberId: 'BC123456789', beneficiary: { reference: patient!.fullUrl } });
  });

  it('each Condition carries the patient words as code.text, for the Patient', () => {
    const bundle = toFhirBundle(jane, SERVICE, now);
    const conditions = bundle.entry.filter((e) => e.resource.resourceType === 'Condition');
    expect(conditions.map((c) => (c.resource.code as { text: string }).text)).toEqual(['Hypertension', 'Asthma']);
    for (const c of conditions) expect(c.resource.subject).toEqual({ reference: bundle.entry[0]!.fullUrl });
  });

  it('every entry\'s fullUrl is a UUID URN (FHIR: an entry not on a server SHALL have one), distinct, and the same in every export', () => {
    const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const urls = toFhirBundle(jane, SERVICE, now).entry.map((e) => e.fullUrl);
    for (const url of urls) expect(url).toMatch(UUID_URN);
    expect(new Set(urls).size).toBe(urls.length);
    expect(toFhirBundle(jane, SERVICE, new Date()).entry.map((e) => e.fullUrl)).toEqual(urls);
    // Another patient's parts get other ids.
    const other = toFhirBundle({ ...jane, id: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }, SERVICE, now).entry.map((e) => e.fullUrl);
    expect(other.filter((url) => urls.includes(url))).toEqual([]);
  });

  it('without insurance or history the Bundle holds the Patient alone', () => {
    const bundle = toFhirBundle(bare, SERVICE, now);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(['Patient']);
    expect(() => validateFhir(bundle)).not.toThrow();
  });
});

describe('content negotiation', () => {
  it.each([
    ['application/fhir+json', true],
    ['APPLICATION/FHIR+JSON', true],
    ['application/json, application/fhir+json;q=0.9', true],
    ['application/fhir+json; fhirVersion=4.0', true],
    ['application/json', false],
    [undefined, false],
    ['application/fhir+xml', false],
  ])('Accept %s asks for FHIR: %s', (accept, expected) => {
    expect(acceptsFhir(accept)).toBe(expected);
  });
});
