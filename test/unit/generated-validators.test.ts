import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exportName, FUNCTION_VALIDATORS, GENERATED_DIR, generatedFileNames, generateValidatorModules, requestSchemasById,
} from '../../lib/tools/generate-validators.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { createAjv, FORMATS } from '../../lib/validation/ajv.js';
import { formats } from '../../lib/validation/standalone-formats.js';
import { VALIDATION_KEYWORDS, type ValidationContext } from '../../lib/patient/validation-keywords.js';
import type { PrecompiledValidate } from '../../lib/validation/precompiled.js';
import { SPEC_EXAMPLE } from '../support/requests.js';

const modules = generateValidatorModules();
// Every generated module, loaded as the functions load them: one per function with validators.
const loaded = Object.fromEntries(await Promise.all(modules.map(async ({ name }) =>
  [name, (await import(`../../lib/patient/generated/${name}.js`)) as Record<string, unknown>] as const)));

describe('precompiled request validators', () => {
  it('are up to date with the schemas, one module per function and no other (run `npm run generate` when this fails)', () => {
    expect(readdirSync(GENERATED_DIR).sort()).toEqual(generatedFileNames(modules));
    for (const { name, js, dts } of modules) {
      expect(readFileSync(path.join(GENERATED_DIR, `${name}.js`), 'utf8'), `${name}.js`).toBe(js);
      expect(readFileSync(path.join(GENERATED_DIR, `${name}.d.ts`), 'utf8'), `${name}.d.ts`).toBe(dts);
    }
  });

  it('exist for every request schema: each is validated by some function', () => {
    const validated = Object.values(FUNCTION_VALIDATORS).flatMap((validators) => Object.values(validators).map(({ schema }) => exportName(schema.$id!)));
    expect([...new Set(validated)].sort()).toEqual(Object.keys(requestSchemasById()).sort());
  });

  it('export, per function, only the schemas that function validates and its validators', () => {
    for (const [name, validators] of Object.entries(FUNCTION_VALIDATORS)) {
      const schemas = [...new Set(Object.values(validators).map(({ schema }) => exportName(schema.$id!)))];
      expect(Object.keys(loaded[name]!).sort(), name).toEqual([...schemas, ...Object.keys(validators)].sort());
    }
  });

  it('reference by function only formats the run-time copy has, answering as ajv-formats does', () => {
    const referenced = new Set(modules.flatMap(({ js }) => [...js.matchAll(/= formats\.(\w+);/g)].map(([, name]) => name)));
    expect([...referenced]).toEqual(Object.keys(formats));
    expect(FORMATS).toContain('date');
    const dates = fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
        .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`));
    fc.assert(fc.property(dates, (text) => {
      expect(formats.date.validate(text)).toBe((fullFormats.date as { validate: (s: string) => boolean }).validate(text));
    }), { numRuns: 2000 });
  });

  // The same answers, errors included, as compiling the schema at start with the same ajv setup.
  const compiled = createAjv(VALIDATION_KEYWORDS);
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

  const registrationRequest = loaded.register!.registrationRequest as PrecompiledValidate;
  it('judge age only on the day they are given, never on the wall clock', () => {
    expect(() => registrationRequest.call(undefined, structuredClone(SPEC_EXAMPLE))).toThrow('the age rule needs today');
    expect(registrationRequest.call({ today: '2000-01-01' }, structuredClone(SPEC_EXAMPLE))).toBe(false);
    expect(registrationRequest.call(context, structuredClone(SPEC_EXAMPLE))).toBe(true);
  });

  const compiledIn = Object.entries(FUNCTION_VALIDATORS).flatMap(([fn, validators]) =>
    [...new Set(Object.values(validators).map(({ schema }) => exportName(schema.$id!)))].map((name) => [fn, name] as const));
  for (const [fn, name] of compiledIn) {
    it(`${name} (functions/${fn}) agrees with ajv compiling the schema at start`, () => {
      const atStart = compiled.compile(schemas[name]!);
      const built = loaded[fn]![name] as PrecompiledValidate;
      fc.assert(fc.property(fc.oneof(mutated, fc.anything()), (data) => {
        expect(outcome(built, data)).toEqual(outcome(atStart, data));
      }), { numRuns: 300 });
    });
  }
});
