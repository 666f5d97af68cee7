/** FHIR's JSON media type (FHIR R4 §3.1.0.1.10). */
export const FHIR_JSON = 'application/fhir+json';

/** Whether an Accept header asks for FHIR JSON (media types are case-insensitive; parameters ignored). */
export function acceptsFhir(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((range) => range.split(';')[0]!.trim().toLowerCase() === FHIR_JSON);
}
