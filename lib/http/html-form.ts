import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import { lambdaLogContext } from '../logging/lambda-context.js';
import type { LinkState } from '../patient/ports.js';
import { describeError, logger } from '../logging/logger.js';
import { bodyGuard, FORM_MEDIA_TYPE } from './body-guard.js';
import { errorMapper, toErrorResponse } from './error-mapper.js';
import { answerBeforeDeadline, type ApiEvent } from './json-api.js';
import { PAGE_CSP } from './page.js';
import type { HttpResponse } from './response.js';
import { securityHeaders } from './security-headers.js';

const HTML_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } as const;

export type FormEvent = ApiEvent & { form: URLSearchParams };

/** What a form post did, for the page that answers it: the status and message the JSON API would give, and the error behind them. */
export interface FormResult {
  statusCode: number;
  message: string;
  error?: unknown;
}

/** True when the request is a browser's form post rather than a JSON call. */
export const isFormPost = (headers: ApiEvent['headers']) =>
  FORM_MEDIA_TYPE.test(Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '');

type Chain = (event: ApiEvent, context: Context) => Promise<HttpResponse>;

/** One path for a page's form post (answered as a page) and a front end's JSON call (the JSON chain). */
export const formOrJson = (form: Chain, json: Chain): Chain => (event, context) =>
  isFormPost(event.headers) ? form(event, context) : json(event, context);

type EnvelopeError = { message: string; errors?: Record<string, string[]> };

/** A page has no field list to show: the envelope's message with the field messages (our own texts) after it. */
const pageMessage = ({ message, errors }: EnvelopeError) => {
  const details = [...new Set(Object.values(errors ?? {}).flat())];
  return details.length > 0 ? `${message}: ${details.join('. ')}.` : message;
};

/** A page's answer: HTML under the pages' CSP, never cached (it may follow a link's token). */
export const htmlPage = (statusCode: number, body: string, headers: Record<string, string> = {}): HttpResponse =>
  ({ statusCode, headers: { ...HTML_HEADERS, ...headers }, body });

/** A GET page: the pages' headers and CSP, and a failure (there is hardly one) as the JSON envelope. */
export function htmlRead(handler: (event: ApiEvent) => Promise<HttpResponse>) {
  return middy<ApiEvent, HttpResponse>(answerBeforeDeadline)
    .use(lambdaLogContext())
    .use(httpHeaderNormalizer())
    .use(securityHeaders(PAGE_CSP))
    .use(errorMapper())
    .handler((event) => handler(event));
}

/**
 * The chain for a page's form posted without JavaScript: the same size, charset and UTF-8 guards as
 * the JSON chain, and every failure answered as the page with the message the JSON envelope would
 * carry, with the same status code (so nothing a client sees differs but the format).
 */
export function htmlForm(
  page: (result: FormResult) => string,
  handler: (event: FormEvent, context: Context) => Promise<{ statusCode: number; message: string }>,
) {
  return middy<ApiEvent, HttpResponse>(answerBeforeDeadline)
    .use(lambdaLogContext())
    .use(httpHeaderNormalizer())
    .use(securityHeaders(PAGE_CSP))
    .use({
      onError: async (request) => {
        const { error } = request;
        const json = toErrorResponse(error);
        if (json.statusCode >= 500) logger.error('request failed', { statusCode: json.statusCode, ...describeError(error) });
        else logger.info('request refused', { statusCode: json.statusCode, errorName: (error as Error | undefined)?.name });
        const { 'Content-Type': _type, ...headers } = json.headers;
        request.response = htmlPage(json.statusCode, page({ statusCode: json.statusCode, message: pageMessage(JSON.parse(json.body) as EnvelopeError), error }), headers);
      },
    })
    .use(bodyGuard(undefined, FORM_MEDIA_TYPE))
    .handler(async (event, context) => {
      const { statusCode, message } = await handler({ ...event, form: new URLSearchParams(event.body ?? '') }, context);
      return htmlPage(statusCode, page({ statusCode, message }));
    });
}

/**
 * The GET of a mailed link: the page for the link's state (`stateOf` reads it, writing nothing) or
 * the "invalid link" page when the address has no token. Every page depends only on the service name
 * and the state, so all are rendered once, at init. If the state cannot be read (an outage), the
 * form is served as it was before pages read state: its POST judges the link anyway.
 */
export function linkPage(pages: { opened(state: LinkState): string; missingToken(): string }, stateOf: (token: string) => Promise<LinkState>) {
  const opened = (state: LinkState) => htmlPage(200, pages.opened(state));
  const byState: Record<LinkState, HttpResponse> = {
    usable: opened('usable'), used: opened('used'), superseded: opened('superseded'), expired: opened('expired'), unknown: opened('unknown'),
  };
  const missingToken = htmlPage(400, pages.missingToken());
  // A copy per answer: the chain's middlewares add headers to the response they are given.
  const copy = (page: HttpResponse): HttpResponse => ({ ...page, headers: { ...page.headers } });
  const stateOrForm = async (token: string): Promise<LinkState> => {
    try {
      return await stateOf(token);
    } catch (error) {
      logger.warn('link state unreadable: serving the form', describeError(error));
      return 'usable';
    }
  };
  return htmlRead(async (event) => {
    const token = event.queryStringParameters?.token;
    return copy(token ? byState[await stateOrForm(token)] : missingToken);
  });
}
