import { randomBytes, randomInt } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Context } from 'aws-lambda';

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

/** A fresh API Gateway HTTP API (v2) event per call: the JSON body parser mutates event.body. */
export function apiEvent(
  body: unknown,
  { method = 'POST', path = '/api/v1/patient/register', headers = { 'Content-Type': 'application/json' } as Record<string, string>, query }: {
    method?: string; path?: string; headers?: Record<string, string>; query?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers,
    ...(query && { queryStringParameters: query }),
    requestContext: {
      accountId: 'test', apiId: 'test', domainName: 'test', domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomBytes(8).toString('hex'), routeKey: `${method} ${path}`, stage: '$default',
      time: new Date().toUTCString(), timeEpoch: Date.now(),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

export const lambdaContext = { awsRequestId: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

export interface ParsedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: any;
}

export async function invoke(handler: (e: any, c: Context) => Promise<any>, event: APIGatewayProxyEventV2): Promise<ParsedResponse> {
  const response = await handler(event, lambdaContext);
  const isJson = String(response.headers?.['Content-Type'] ?? '').startsWith('application/json');
  return { statusCode: response.statusCode, headers: response.headers, body: isJson ? JSON.parse(response.body) : response.body };
}
