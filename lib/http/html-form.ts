import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import { lambdaLogContext } from '../logging/lambda-context.js';
import { describeError, logger } from '../logging/logger.js';
import { bodyGuard, FORM_MEDIA_TYPE } from './body-guard.js';
import { toErrorResponse } from './error-mapper.js';
import { answerBeforeDeadline, type ApiEvent } from './json-api.js';
import type { HttpResponse } from './response.js';
import { securityHeaders } from './security-headers.js';

export const HTML_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } as const;

export type FormEvent = ApiEvent & { form: URLSearchParams };

/** True when the request is a browser's form post rather than a JSON call. */
export const isFormPost = (headers: ApiEvent['headers']) =>
  FORM_MEDIA_TYPE.test(Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '');

type EnvelopeError = { message: string; errors?: Record<string, string[]> };

/** A page has no field list to show: the envelope's message with the field messages (our own texts) after it. */
const pageMessage = ({ message, errors }: EnvelopeError) => {
  const details = [...new Set(Object.values(errors ?? {}).flat())];
  return details.length > 0 ? `${message}: ${details.join('. ')}.` : message;
};

/**
 * The chain for a page's form posted without JavaScript: the same size, charset and UTF-8 guards as
 * the JSON chain, and every failure answered as the page with the message the JSON envelope would
 * carry, with the same status code (so nothing a script sees differs but the format).
 */
export function htmlForm(
  page: (result: { ok: boolean; message: string }) => string,
  csp: Record<string, string | false>,
  handler: (event: FormEvent, context: Context) => Promise<{ statusCode: number; message: string }>,
) {
  const render = (statusCode: number, message: string, headers: Record<string, string> = {}): HttpResponse => ({
    statusCode,
    headers: { ...HTML_HEADERS, ...headers },
    body: page({ ok: statusCode < 300, message }),
  });
  return middy<ApiEvent, HttpResponse>(answerBeforeDeadline)
    .use(lambdaLogContext())
    .use(httpHeaderNormalizer())
    .use(securityHeaders(csp))
    .use({
      onError: async (request) => {
        const json = toErrorResponse(request.error);
        if (json.statusCode >= 500) logger.error('request failed', { statusCode: json.statusCode, ...describeError(request.error) });
        else logger.info('request refused', { statusCode: json.statusCode, errorName: (request.error as Error | undefined)?.name });
        const { 'Content-Type': _type, ...headers } = json.headers;
        request.response = render(json.statusCode, pageMessage(JSON.parse(json.body) as EnvelopeError), headers);
      },
    })
    .use(bodyGuard(undefined, FORM_MEDIA_TYPE))
    .handler(async (event, context) => {
      const { statusCode, message } = await handler({ ...event, form: new URLSearchParams(event.body ?? '') }, context);
      return render(statusCode, message);
    });
}
