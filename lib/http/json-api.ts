import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Context } from 'aws-lambda';
import { ServiceUnavailableError } from '../errors.js';
import { lambdaLogContext } from '../logging/lambda-context.js';
import { bodyGuard, shapeGuard } from './body-guard.js';
import { corsHeaders } from './cors.js';
import { errorMapper } from './error-mapper.js';
import { securityHeaders } from './security-headers.js';
import type { HttpResponse } from './response.js';

/** The event fields the handlers use, from the API Gateway REST (v1) proxy event production sends. */
export interface ApiEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  /** The values of the route's `{name}` segments (lib/http/routes.ts). */
  pathParameters?: Record<string, string | undefined> | null;
  requestContext?: { requestId?: string; identity?: { sourceIp?: string | null; userAgent?: string | null } };
}

/** The request id and client address for the audit trail (API Gateway sets both; the address is the TCP peer). */
export function requestContextOf(event: Pick<ApiEvent, 'requestContext'>): { requestId?: string; sourceIp?: string } {
  const requestId = event.requestContext?.requestId;
  const sourceIp = event.requestContext?.identity?.sourceIp;
  return { ...(requestId && { requestId }), ...(sourceIp && { sourceIp }) };
}

export type ParsedEvent<T> = Omit<ApiEvent, 'body'> & { body: T };

/**
 * How long before the Lambda deadline a request still running is answered with 503 + Retry-After
 * instead: enough for the error mapper and the return, so the client never gets the gateway's bare
 * 5xx however many calls a request makes or however long each hangs.
 */
export const DEADLINE_MARGIN_MS = 500;

/** middy's early timeout (it reads context.getRemainingTimeInMillis()), answered in the service envelope. */
export const answerBeforeDeadline = {
  timeoutEarlyInMillis: DEADLINE_MARGIN_MS,
  timeoutEarlyResponse: () => {
    throw new ServiceUnavailableError('lambda deadline');
  },
};

/**
 * The shared chain for JSON endpoints: normalize headers → guard size and type → parse JSON →
 * guard nesting and text → validate → handler. Errors from any step go through the one error
 * mapper; security and CORS headers on all; a request about to run out of time gets a 503.
 */
export function jsonApi<T>(
  validate: (body: unknown) => T,
  handler: (event: ParsedEvent<T>, context: Context) => Promise<HttpResponse>,
  /** 'handler': the handler keeps its own deadline (a write it reports: lib/http/write-deadline.ts). */
  { deadline = 'chain' }: { deadline?: 'chain' | 'handler' } = {},
) {
  return jsonChain(validate, handler, undefined, deadline === 'chain');
}

/**
 * The JSON chain for Bearer routes: the caller is authenticated before the body is read, so a request
 * without a valid token gets the 401 (`WWW-Authenticate: Bearer`), never a 413/415/422 about a body it
 * was not entitled to send, and nothing about the body's rules leaks to the unauthenticated.
 */
export function bearerJsonApi<T, C>(
  authenticateCaller: (headers: ApiEvent['headers']) => Promise<C>,
  validate: (body: unknown) => T,
  handler: (event: ParsedEvent<T>, caller: C, context: Context) => Promise<HttpResponse>,
) {
  const callers = new WeakMap<object, C>();
  const authenticated = { before: async (request: { event: ApiEvent }) => { callers.set(request.event, await authenticateCaller(request.event.headers)); } };
  return jsonChain(validate, (event, context) => handler(event, callers.get(event) as C, context), authenticated);
}

function jsonChain<T>(
  validate: (body: unknown) => T,
  handler: (event: ParsedEvent<T>, context: Context) => Promise<HttpResponse>,
  beforeBody?: { before: (request: { event: ApiEvent }) => Promise<void> },
  chainDeadline = true,
) {
  const chain = middy<ApiEvent, HttpResponse>(chainDeadline ? answerBeforeDeadline : {})
    .use(lambdaLogContext())
    .use(httpHeaderNormalizer())
    .use(securityHeaders())
    .use(corsHeaders())
    .use(errorMapper());
  if (beforeBody) chain.use(beforeBody);
  return chain
    .use(bodyGuard())
    // bodyGuard has checked the media type, case-insensitively as RFC 9110 says (`APPLICATION/JSON`);
    // the parser's own check is case-sensitive and would answer 415. (middy 6 reads this option but
    // its type declarations lack it.)
    .use(httpJsonBodyParser({ disableContentTypeCheck: true } as Parameters<typeof httpJsonBodyParser>[0]))
    .use(shapeGuard())
    .use({ before: async (request) => { request.event.body = validate(request.event.body) as never; } })
    .handler((event, context) => handler(event as unknown as ParsedEvent<T>, context));
}

/** The chain for body-less JSON endpoints (GET): the same headers, error envelope and deadline, nothing to parse. */
export function readApi(handler: (event: ApiEvent, context: Context) => Promise<HttpResponse>) {
  return middy<ApiEvent, HttpResponse>(answerBeforeDeadline)
    .use(lambdaLogContext())
    .use(httpHeaderNormalizer())
    .use(securityHeaders())
    .use(corsHeaders())
    .use(errorMapper())
    .handler((event, context) => handler(event, context));
}
