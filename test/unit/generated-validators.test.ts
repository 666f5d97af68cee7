import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENERATED_DTS, GENERATED_JS, generateValidatorModule, requestSchemasById } from '../../lib/tools/generate-validators.js';
import { createAjv } from '../../lib/validation/ajv.js';
import * as precompiled from '../../lib/validation/generated/validators.js';
import type { ValidationContext } from '../../lib/patient/validation-keywords.js';
import type { PrecompiledValidate } from '../../lib/validation/precompiled.js';
import { SPEC_EXAMPLE } from '../support/requests.js';

describe('precompiled request validators', () => {
  it('are up to date with the schemas (run `npm run generate` when this fails)', () => {
    const { js, dts } = generateValidatorModule();
    expect(readFileSync(GENERATED_JS, 'utf8')).toBe(js);
    expect(readFileSync(GENERATED_DTS, 'utf8')).toBe(dts);
  });

  it('exist for every request schema', () => {
    expect(Object.keys(precompiled).sort()).toEqual(Object.keys(requestSchemasById()).sort());
  });

  // The same answers, errors included, as compiling the schema at start with the same ajv setup.
  const compiled = createAjv();
  const schemas = requestSchemasById();
  // A fixed day for the age rule: the same context both ways, as the request validators pass it.
  const context: ValidationContext = { today: '2026-06-15' };
  const outcome = (validate: PrecompiledValidate, data: unknown) => (validate.call(context, data) ? 'valid' : validate.errors);
  const leaf = fc.oneof(fc.string(), fc.constantFrom('', '  ', 'Aa1!aaaa', '+1 (234) 567-890', '2000-02-29', 'ZZ', '😀'), fc.integer(), fc.boolean(), fc.constant(null));
  const mutated = fc.tuple(
    fc.constantFrom(...Object.keys(SPEC_EXAMPLE), 'address.zip', 'address.country', 'emergency_contact.phone', 'medical_history', 'id', 'token', 'email'),
    fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 3 }), leaf, { maxKeys: 2 })),
  ).map(([path, value]) => {
    const body: Record<string, any> = structuredClone(SPEC_EXAMPLE);
    const keys = path.split('.');
    const last = keys.pop()!;
    const parent = keys.reduce((node, key) => (node[key] ??= {}), body);
    parent[last] = value;
    return body;
  });

  it('judge age only on the day they are given, never on the wall clock', () => {
    expect(() => precompiled.registrationRequest.call(undefined, structuredClone(SPEC_EXAMPLE))).toThrow('the age rule needs today');
    expect(precompiled.registrationRequest.call({ today: '2000-01-01' }, structuredClone(SPEC_EXAMPLE))).toBe(false);
    expect(precompiled.registrationRequest.call(context, structuredClone(SPEC_EXAMPLE))).toBe(true);
  });

  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name} agrees with ajv compiling the schema at start`, () => {
      const atStart = compiled.compile(schema);
      const built = (precompiled as Record<string, PrecompiledValidate>)[name]!;
      fc.assert(fc.property(fc.oneof(mutated, fc.anything()), (data) => {
        expect(outcome(built, data)).toEqual(outcome(atStart, data));
      }), { numRuns: 300 });
    });
  }
});
