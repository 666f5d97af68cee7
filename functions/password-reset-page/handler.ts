import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { errorMapper } from '../../lib/http/error-mapper.js';
import { lambdaLogContext } from '../../lib/logging/lambda-context.js';
import { HTML_HEADERS } from '../../lib/http/html-form.js';
import { RESET_PAGE_CSP, RESET_PAGE_HTML } from '../../lib/http/password-reset-page.js';
import type { HttpResponse } from '../../lib/http/response.js';
import { securityHeaders } from '../../lib/http/security-headers.js';

/** GET on the reset link: a static page whose form POSTs the token with the new password. It reads no data. */
export const handler = middy<unknown, HttpResponse>()
  .use(lambdaLogContext())
  .use(httpHeaderNormalizer())
  .use(securityHeaders(RESET_PAGE_CSP))
  .use(errorMapper())
  .handler(async () => ({ statusCode: 200, headers: { ...HTML_HEADERS }, body: RESET_PAGE_HTML }));
