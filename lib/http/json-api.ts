import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Context } from 'aws-lambda';
import { bodyGuard, shapeGuard } from './body-guard.js';
import { errorMapper } from './error-mapper.js';
import { securityHeaders } from './security-headers.js';
import type { HttpResponse } from './response.js';

/** The event fields the handlers use; both API Gateway REST (v1) and HTTP API (v2) events have them. */
export interface ApiEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
}

export type ParsedEvent<T> = Omit<ApiEvent, 'body'> & { body: T };

/**
 * The shared chain for JSON endpoints: normalize headers → guard size and type → parse JSON →
 * guard nesting and text → validate → handler. Errors from any step go through the one error
 * mapper; security headers on all.
 */
export function jsonApi<T>(validate: (body: unknown) => T, handler: (event: ParsedEvent<T>, context: Context) => Promise<HttpResponse>) {
  return middy<ApiEvent, HttpResponse>()
    .use(httpHeaderNormalizer())
    .use(securityHeaders())
    .use(errorMapper())
    .use(bodyGuard())
    .use(httpJsonBodyParser())
    .use(shapeGuard())
    .use({ before: async (request) => { request.event.body = validate(request.event.body) as never; } })
    .handler((event, context) => handler(event as unknown as ParsedEvent<T>, context));
}
