import { randomBytes, randomInt } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { API_PATHS } from '../../lib/http/routes.js';

/** The spec's example request, exactly as written there. */
export const SPEC_EXAMPLE = Object.freeze({
  first_name: 'Jane',
  last_name: 'Smith',
  email: 'jane.smith@email.com',
  phone_number: '+1234567890',
  password: 'SecurePassword123!',
  confirm_password: 'SecurePassword123!',
  date_of_birth: '1990-05-15',
  gender: 'female',
  address: { street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101' },
  emergency_contact: { name: 'John Smith', phone: '+1234567891', relationship: 'spouse' },
  insurance_info: { provider: 'Blue Cross', policy_number: 'BC123456789' },
});

/** The spec's example with an email and phone no other test uses. */
export function uniqueRegistration(overrides: Record<string, unknown> = {}): Record<string, any> {
  const tag = randomBytes(5).toString('hex');
  return structuredClone({
    ...SPEC_EXAMPLE,
    email: `jane.${tag}@email.com`,
    phone_number: `+1${randomInt(200_000_000, 999_999_999)}${randomInt(0, 9)}`,
    ...overrides,
  });
}

const multi = (map: Record<string, string>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, [v]]));

/**
 * A fresh API Gateway REST API (v1) proxy event per call (the JSON body parser mutates event.body),
 * shaped as production sends it: the deployed API treats every media type as binary, so a body
 * arrives as base64 of its bytes with isBase64Encoded, and a missing body as null. A Buffer body
 * is sent as those exact bytes (for bytes that are not UTF-8).
 */
export function apiEvent(
  body: unknown,
  { method = 'POST', path = API_PATHS.register as string, headers = { 'Content-Type': 'application/json' } as Record<string, string>, query }: {
    method?: string; path?: string; headers?: Record<string, string>; query?: Record<string, string>;
  } = {},
): APIGatewayProxyEvent {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: multi(headers),
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: query ? multi(query) : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012', apiId: 'test', authorizer: null, domainName: 'test.execute-api.us-east-1.amazonaws.com',
      extendedRequestId: randomBytes(8).toString('hex'), httpMethod: method, path: `/test${path}`, protocol: 'HTTP/1.1',
      requestId: randomBytes(8).toString('hex'), requestTime: new Date().toUTCString(), requestTimeEpoch: Date.now(),
      resourceId: 'test', resourcePath: path, stage: 'test',
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: '203.0.113.10', user: null, userAgent: 'vitest', userArn: null,
      },
    },
    body: bytes && bytes.length > 0 ? bytes.toString('base64') : null,
    isBase64Encoded: !!bytes && bytes.length > 0,
  };
}

/**
 * No deadline (middy sets none without getRemainingTimeInMillis): these tests run many invocations at
 * once in one process — races of 50 registrations hashing on 2 shared cores — which Lambda never does,
 * so any deadline would measure the machine's load. The deadline is tested on its own
 * (test/unit/deadline.test.ts; the local server's per-route clock in test/unit/local-api-event.test.ts).
 */
export const lambdaContext = { awsRequestId: 'test' } as unknown as Context;

export interface ParsedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: any;
}

export async function invoke(handler: (e: any, c: Context) => Promise<any>, event: APIGatewayProxyEvent): Promise<ParsedResponse> {
  const response = await handler(event, lambdaContext);
  const isJson = /^application\/(.+\+)?json/.test(String(response.headers?.['Content-Type'] ?? ''));
  return { statusCode: response.statusCode, headers: response.headers, body: isJson ? JSON.parse(response.body) : response.body };
}
