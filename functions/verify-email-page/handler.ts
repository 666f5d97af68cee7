import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { errorMapper } from '../../lib/http/error-mapper.js';
import { lambdaLogContext } from '../../lib/logging/lambda-context.js';
import type { HttpResponse } from '../../lib/http/response.js';
import { securityHeaders } from '../../lib/http/security-headers.js';
import { VERIFY_PAGE_CSP, VERIFY_PAGE_HTML } from '../../lib/http/verify-email-page.js';

/** GET on the verification link: a static page whose button POSTs the token. It reads no data. */
export const handler = middy<unknown, HttpResponse>()
  .use(lambdaLogContext())
  .use(httpHeaderNormalizer())
  .use(securityHeaders(VERIFY_PAGE_CSP))
  .use(errorMapper())
  .handler(async () => ({
    statusCode: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    body: VERIFY_PAGE_HTML,
  }));
