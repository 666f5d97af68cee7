import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../http/body-guard.js';
import { CORS_ENV, corsResponseHeaders, parseAllowedOrigins, preflightResponse } from '../http/cors.js';
import { methodNotAllowed, notFound } from '../http/fallback-handlers.js';
import { OPENAPI_PATH, openApiDocument } from '../http/openapi.js';
import { jsonResponse } from '../http/response.js';
import type { HttpResponse } from '../http/response.js';
import type { ApiRoute } from '../http/routes.js';

export type LambdaHandler = (event: any, context: Context) => Promise<HttpResponse>;
/** A route of lib/http/routes.ts with the handler deployed for it. */
export type LocalRoute = ApiRoute & { readonly handler: LambdaHandler };

const STAGE = 'local';

/** Reads at most one byte past the limit, so an oversized body is still refused by the handler with 413. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES + 1);
}

/** Single- and multi-value maps as API Gateway builds them: the last value wins the single-value map. */
function singleAndMulti(pairs: Iterable<[string, string]>) {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) (multi[name] ??= []).push(value);
  const single = Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1)!]));
  return Object.keys(multi).length > 0 ? { single, multi } : { single: null, multi: null };
}

function* headerPairs(rawHeaders: string[]): Generator<[string, string]> {
  for (let i = 0; i < rawHeaders.length; i += 2) yield [rawHeaders[i]!, rawHeaders[i + 1]!];
}

/**
 * The API Gateway REST API (v1) Lambda proxy event the functions get in AWS: headers with the client's
 * spelling, single- and multi-value maps, and — because the deployed API treats every media type as
 * binary — the body's raw bytes as base64, so the handler decodes them exactly as it does in AWS.
 */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer, route: ApiRoute | undefined): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const headers = singleAndMulti(headerPairs(req.rawHeaders));
  const query = singleAndMulti(url.searchParams);
  const resource = route?.path ?? url.pathname;
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  const userAgent = req.headers['user-agent'] ?? null;
  const now = Date.now();
  return {
    resource,
    path: url.pathname,
    httpMethod: method,
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: req.headers.host ?? 'localhost',
      extendedRequestId: randomUUID(),
      httpMethod: method,
      path: `/${STAGE}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: resource,
      stage: STAGE,
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, sourceIp, user: null, userAgent, userArn: null,
      },
    },
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
  };
}

/** A Lambda context whose clock runs out after the route's real timeout, as in AWS. */
export function lambdaContext(requestId: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    awsRequestId: requestId,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '1024',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** For the 404/405 answers: in AWS, API Gateway gives them itself (its gateway responses). */
const FALLBACK_TIMEOUT_SECONDS = 3;

/** A small HTTP server that routes each request to the very handlers deployed to Lambda. */
export function createApiServer(routes: readonly LocalRoute[]): Server {
  const cors = parseAllowedOrigins(process.env[CORS_ENV]);
  // Built from the request schemas and the route table at start: it cannot be stale (lib/http/openapi.ts).
  const openApi = jsonResponse(200, openApiDocument());
  return createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');
      const onPath = routes.filter((r) => r.path === pathname);
      const route = onPath.find((r) => r.method === req.method);
      const event = toApiGatewayEvent(req, await readBody(req), route);
      const methods = onPath.map((r) => r.method);
      // The CORS preflight, answered here as API Gateway answers it in AWS (its OPTIONS mock integration).
      const preflight = req.method === 'OPTIONS' && onPath.length > 0 && cors.length > 0
        ? async () => preflightResponse(req.headers.origin, methods, cors) : undefined;
      const document = req.method === 'GET' && pathname === OPENAPI_PATH
        ? async () => ({ ...openApi, headers: { ...openApi.headers, ...corsResponseHeaders(req.headers.origin, cors) } }) : undefined;
      const handler = route?.handler ?? preflight ?? document ?? (onPath.length > 0 ? methodNotAllowed(methods) : notFound);
      const response = await handler(event, lambdaContext(event.requestContext.requestId, route?.timeoutSeconds ?? FALLBACK_TIMEOUT_SECONDS));
      // API Gateway drops headers whose value is undefined; Node would throw on them.
      const headers = Object.fromEntries(Object.entries(response.headers ?? {}).filter(([, v]) => v !== undefined));
      res.writeHead(response.statusCode, headers);
      res.end(response.body);
    } catch {
      res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ success: false, message: 'Internal server error' }));
    }
  });
}
