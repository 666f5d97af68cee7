import type { MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './logger.js';

/**
 * Powertools' injectLambdaContext for every middy chain: each line a function logs carries the
 * invocation's function_request_id (to find one request's lines in CloudWatch) and cold_start. The
 * event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries the request body.
 * An invocation without a Lambda context (a local caller or a test that passes none) is left as is.
 */
export function lambdaLogContext(): MiddlewareObj<unknown, unknown, Error, Context> {
  const inject = injectLambdaContext(logger, { logEvent: false, resetKeys: true });
  return {
    before: async (request) => {
      if (request.context?.awsRequestId) await inject.before?.(request as never);
    },
    after: inject.after as never,
    onError: inject.onError as never,
  };
}
