import { createHash } from 'node:crypto';
import type { PatientView } from '../auth/read-own-record.js';
import type { Gender } from '../patient/registration-schema.js';

/**
 * The patient's record as FHIR R4 resources (issue 20: the right of access in a standard form).
 * GET /me with `Accept: application/fhir+json` answers the Patient alone; the export answers a
 * `collection` Bundle of the Patient, a Coverage for the insurance and a Condition per entry of the
 * medical history. Only what the patient gave us is said: no coded terminology is invented, so a
 * condition is `code.text` and the payer a display name.
 */

export const US_CORE_PATIENT = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient';
const EMERGENCY_CONTACT = { system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' };
const SELF = { system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' };

/** FHIR's AdministrativeGender has no "prefer not to say": `unknown` is its word for an undisclosed gender. */
const ADMINISTRATIVE_GENDER: Record<Gender, 'male' | 'female' | 'other' | 'unknown'> = {
  male: 'male',
  female: 'female',
  other: 'other',
  prefer_not_to_say: 'unknown',
};

export interface FhirResource {
  resourceType: string;
  id?: string;
  [field: string]: unknown;
}

export interface FhirBundle extends FhirResource {
  resourceType: 'Bundle';
  type: 'collection';
  timestamp: string;
  entry: { fullUrl: string; resource: FhirResource }[];
}

/** Where the identifiers live: a URI of this service (its issuer URL), so a receiver can tell our ids from others'. */
export const identifierSystem = (serviceUri: string) => `${serviceUri.replace(/\/+$/, '')}/patient-id`;

export function toFhirPatient(view: PatientView, serviceUri: string): FhirResource {
  const { address, emergency_contact: contact } = view;
  return {
    resourceType: 'Patient',
    id: view.id,
    meta: { profile: [US_CORE_PATIENT], lastUpdated: view.updated_at },
    identifier: [{ system: identifierSystem(serviceUri), value: view.id }],
    active: view.is_active,
    name: [{ use: 'official', family: view.last_name, given: [view.first_name] }],
    telecom: [
      { system: 'email', value: view.email, use: 'home' },
      // A released number (taken over by its proven owner) is no longer this patient's.
      ...(view.phone_number !== null ? [{ system: 'phone', value: view.phone_number, use: 'mobile' }] : []),
    ],
    gender: ADMINISTRATIVE_GENDER[view.gender],
    birthDate: view.date_of_birth,
    address: [{ use: 'home', line: [address.street], city: address.city, state: address.state, postalCode: address.zip, country: address.country }],
    ...(contact && {
      contact: [
        {
          relationship: [{ coding: [EMERGENCY_CONTACT], ...(contact.relationship && { text: contact.relationship }) }],
          name: { text: contact.name },
          telecom: [{ system: 'phone', value: contact.phone }],
        },
      ],
    }),
  };
}

/**
 * A name-based UUID (RFC 9562 version 5: SHA-1 of the namespace's bytes and the name) for a part of
 * the patient's record: an entry that no server stores needs a `urn:uuid:` fullUrl (FHIR R4 Bundle),
 * and one derived from the patient id is the same in every export and never another patient's.
 */
function partUuid(patientId: string, part: string): string {
  const hash = createHash('sha1').update(Buffer.from(patientId.replace(/-/g, ''), 'hex')).update(part, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Everything the record holds, as one Bundle of type `collection` (no server ids are implied for the parts). */
export function toFhirBundle(view: PatientView, serviceUri: string, now: Date): FhirBundle {
  const patientUrl = `urn:uuid:${view.id}`;
  const patient = { reference: patientUrl };
  const entry: FhirBundle['entry'] = [{ fullUrl: patientUrl, resource: toFhirPatient(view, serviceUri) }];
  if (view.insurance_info) {
    entry.push({
      fullUrl: `urn:uuid:${partUuid(view.id, 'coverage')}`,
      resource: {
        resourceType: 'Coverage',
        status: 'active',
        subscriberId: view.insurance_info.policy_number,
        beneficiary: patient,
        relationship: { coding: [SELF] },
        payor: [{ display: view.insurance_info.provider }],
      },
    });
  }
  (view.medical_history ?? []).forEach((text, index) => {
    entry.push({
      fullUrl: `urn:uuid:${partUuid(view.id, `condition-${index + 1}`)}`,
      resource: {
        resourceType: 'Condition',
        // The patient's own words: a history they report, not a diagnosis we confirmed.
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'unconfirmed' }] },
        code: { text },
        subject: patient,
      },
    });
  });
  return { resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString(), entry };
}
