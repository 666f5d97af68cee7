import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStageConfig, STAGE_DEFAULTS } from '../../infra/config/stages.js';
import { corsOriginTemplate, gatewayCorsHeaders } from '../../infra/constructs/patient-api.js';
import { ALL_API_ROUTES } from '../../lib/http/routes.js';
import { removeSynthOutputs, resourcesOfType, synthStage, type SynthesizedStage } from './synth.js';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

/** `/full/path` of an API Gateway resource, following its ParentId chain. */
function pathsOf(stage: SynthesizedStage): (ref: unknown) => string {
  const resources = resourcesOfType(stage.statelessTemplate, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const resource = resources[(ref as { Ref?: string }).Ref ?? ''];
    return resource ? `${pathOf(resource.Properties?.ParentId)}/${resource.Properties?.PathPart}` : '';
  };
  return pathOf;
}

function preflights(stage: SynthesizedStage): Record<string, Record<string, any>> {
  const pathOf = pathsOf(stage);
  return Object.fromEntries(
    Object.values(resourcesOfType(stage.statelessTemplate, 'AWS::ApiGateway::Method'))
      .filter((m) => m.Properties?.HttpMethod === 'OPTIONS')
      .map((m) => [pathOf(m.Properties?.ResourceId), m.Properties!]),
  );
}

const apiFunctionEnvironments = (stage: SynthesizedStage) =>
  Object.values(resourcesOfType(stage.statelessTemplate, 'AWS::Lambda::Function'))
    .filter((f) => /^(GET|POST|PATCH|DELETE) \//.test(String(f.Properties?.Description)))
    .map((f) => [String(f.Properties?.Description), f.Properties?.Environment?.Variables ?? {}] as const);

describe('CORS origins per stage', () => {
  it('allows none in prod and staging by default, one local dev-server origin in dev', () => {
    expect(STAGE_DEFAULTS.prod.corsAllowedOrigins).toEqual([]);
    expect(STAGE_DEFAULTS.staging.corsAllowedOrigins).toEqual([]);
    expect(STAGE_DEFAULTS.dev.corsAllowedOrigins).toEqual(['http://localhost:5173']);
  });

  it('takes a deploy override (-c corsAllowedOrigins=a,b), and an empty one for none', () => {
    expect(resolveStageConfig(context({ stage: 'prod', corsAllowedOrigins: 'https://app.clinic.example, https://admin.clinic.example' }), {})
      .corsAllowedOrigins).toEqual(['https://app.clinic.example', 'https://admin.clinic.example']);
    expect(resolveStageConfig(context({ stage: 'dev', corsAllowedOrigins: '' }), {}).corsAllowedOrigins).toEqual([]);
  });

  it.each([
    ['a wildcard port (API Gateway compares exact strings)', 'https://app.example.com:*', /wildcard port/],
    ['plain http off localhost', 'http://app.example.com', /must be https/],
    ['a path', 'https://app.example.com/login', /is not an origin/],
    ['a bare star', '*', /is not an origin/],
  ])('refuses %s', (_name, origin, message) => {
    expect(() => resolveStageConfig(context({ stage: 'prod', corsAllowedOrigins: origin }), {})).toThrow(message);
  });

  it('gives the gateway\'s own answers (413, 429, …) the allowed origin: literal when one, the caller\'s when several, none when none', () => {
    expect(gatewayCorsHeaders([])).toEqual({});
    expect(gatewayCorsHeaders(['https://a.example'])).toEqual({ 'Access-Control-Allow-Origin': "'https://a.example'", Vary: "'Origin'" });
    expect(gatewayCorsHeaders(['https://a.example', 'https://b.example'])['Access-Control-Allow-Origin']).toBe('method.request.header.Origin');
  });

  it('echoes an origin in the preflight only when it is exactly one of the allowed ones', () => {
    const template = corsOriginTemplate(['https://a.example', 'https://b.example']);
    expect(template).toContain('#if($origin == "https://a.example" || $origin == "https://b.example")');
    expect(template).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
  });
});

describe('CORS preflight in API Gateway', { timeout: 180_000 }, () => {
  let dev: SynthesizedStage;
  let prod: SynthesizedStage;
  beforeAll(() => {
    dev = synthStage('dev');
    prod = synthStage('prod');
  }, 180_000);
  afterAll(removeSynthOutputs);

  it('dev: every route path has an OPTIONS mock answered by API Gateway, with that path\'s methods', () => {
    const found = preflights(dev);
    const paths = [...new Set(ALL_API_ROUTES.map((r) => r.path))];
    expect(Object.keys(found).sort()).toEqual(paths.sort());
    for (const path of paths) {
      const method = found[path]!;
      const methods = [...ALL_API_ROUTES.filter((r) => r.path === path).map((r) => r.method), 'OPTIONS'].join(', ');
      expect(method.AuthorizationType).toBe('NONE');
      // binaryMediaTypes */*: without CONVERT_TO_TEXT the mock fails every preflight with 500.
      expect(method.Integration).toMatchObject({ Type: 'MOCK', ContentHandling: 'CONVERT_TO_TEXT' });
      const [answer] = method.Integration.IntegrationResponses;
      expect(answer).toMatchObject({
        StatusCode: '204',
        ContentHandling: 'CONVERT_TO_TEXT',
        ResponseParameters: {
          'method.response.header.Access-Control-Allow-Methods': `'${methods}'`,
          'method.response.header.Access-Control-Allow-Headers': "'Content-Type, Authorization, Idempotency-Key, If-Match'",
          'method.response.header.Access-Control-Max-Age': "'600'",
          'method.response.header.Vary': "'Origin'",
        },
      });
      // No static Allow-Origin: only the template sets it, and only for an allowed origin.
      expect(answer.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBeUndefined();
      expect(answer.ResponseTemplates['application/json']).toBe(corsOriginTemplate(['http://localhost:5173']));
      expect(method.MethodResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(true);
    }
  });

  it('dev: every API function is told the allowed origin, so its own answers carry the header', () => {
    const environments = apiFunctionEnvironments(dev);
    expect(environments).toHaveLength(ALL_API_ROUTES.length);
    for (const [name, variables] of environments) expect(variables.CORS_ALLOWED_ORIGINS, name).toBe('http://localhost:5173');
  });

  it('dev: every answer API Gateway gives itself (413 too large, 429, WAF 403, 5xx) names the allowed origin', () => {
    const responses = Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::GatewayResponse'));
    expect(responses.length).toBeGreaterThan(0);
    for (const { Properties: p } of responses) {
      expect(p!.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin'], p!.ResponseType).toBe("'http://localhost:5173'");
    }
  });

  it('prod: no preflight route and no CORS setting anywhere (a browser on another origin is refused)', () => {
    expect(preflights(prod)).toEqual({});
    for (const { Properties: p } of Object.values(resourcesOfType(prod.statelessTemplate, 'AWS::ApiGateway::GatewayResponse'))) {
      expect(p!.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBeUndefined();
    }
    const environments = apiFunctionEnvironments(prod);
    expect(environments).toHaveLength(ALL_API_ROUTES.length);
    for (const [name, variables] of environments) expect(variables.CORS_ALLOWED_ORIGINS, name).toBeUndefined();
  });
});
