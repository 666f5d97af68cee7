import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../http/body-guard.js';
import { CORS_ENV, corsResponseHeaders, parseAllowedOrigins, preflightResponse } from '../http/cors.js';
import { methodNotAllowed, notFound, payloadTooLarge } from '../http/fallback-handlers.js';
import { OPENAPI_PATH, openApiDocument } from '../http/openapi.js';
import { jsonResponse } from '../http/response.js';
import type { HttpResponse } from '../http/response.js';
import type { ApiRoute } from '../http/routes.js';

export type LambdaHandler = (event: any, context: Context) => Promise<HttpResponse>;
/** A route of lib/http/routes.ts with the handler deployed for it. */
export type LocalRoute = ApiRoute & { readonly handler: LambdaHandler };

const STAGE = 'local';

/**
 * The body, or undefined as soon as it passes the limit: reading stops there and nothing more is
 * buffered, so a 50 MB upload (chunked or with a Content-Length) is refused after 64 KiB, not at its end.
 */
function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => onError(new Error('request closed before its end'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
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

/** A `{name}` segment of a route's path: API Gateway's path parameter, one non-empty segment. */
const PATH_PARAMETER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The values of `template`'s `{name}` segments in `pathname`, or undefined when it does not match. */
export function matchPath(template: string, pathname: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const name = PATH_PARAMETER.exec(segment)?.[1];
    if (name && got[i] !== '') params[name] = got[i]!;
    else if (segment !== got[i]) return undefined;
  }
  return params;
}

/**
 * The routes on the resource `pathname` lands on, as API Gateway picks it: a literal path
 * (`/me/sessions/revoke-others`) wins over a templated one (`/me/sessions/{id}`); `pathParameters`
 * are the templated resource's values (null for a literal one, as in AWS).
 */
export function routesForPath<R extends ApiRoute>(routes: readonly R[], pathname: string): { onPath: R[]; pathParameters: Record<string, string> | null } {
  const literal = routes.filter((r) => r.path === pathname);
  if (literal.length > 0) return { onPath: literal, pathParameters: null };
  for (const route of routes) {
    const params = route.path.includes('{') ? matchPath(route.path, pathname) : undefined;
    if (params) return { onPath: routes.filter((r) => r.path === route.path), pathParameters: params };
  }
  return { onPath: [], pathParameters: null };
}

/**
 * The API Gateway REST API (v1) Lambda proxy event the functions get in AWS: headers with the client's
 * spelling, single- and multi-value maps, and — because the deployed API treats every media type as
 * binary — the body's raw bytes as base64, so the handler decodes them exactly as it does in AWS.
 */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer, route: ApiRoute | undefined, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent {
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
    pathParameters,
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

/**
 * How long a client may take. A request (headers and body, at most 64 KiB) has 10 s; no legitimate
 * client needs more, and a slow sender is cut then with 408 (Node's defaults: 60 s for headers, 300 s
 * for a request, checked every 30 s). An idle keep-alive connection stays open 60 s between requests:
 * keep-alive clients (the benchmark, browsers) must not see connections closed under them.
 */
export interface ServerTimeouts {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  /** How often Node checks the two above; a timeout is enforced up to this much late. */
  connectionsCheckingInterval: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = { headersTimeout: 10_000, requestTimeout: 10_000, keepAliveTimeout: 60_000, connectionsCheckingInterval: 1000 };

const JSON_TYPE = 'application/json; charset=utf-8';

/** Node's own answer to a request it could not read (timeout, malformed), in the service envelope. */
function clientErrorResponse(error: NodeJS.ErrnoException): string {
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({ success: false, message: status === 408 ? 'Request timed out' : 'Bad request' });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** One request as npm start's compact log shows it: no query string (a link's token rides there), no body. */
export interface RequestLogEntry { method: string; path: string; statusCode: number; ms: number; requestId: string }

/** `POST /api/v1/patient/register 201 312 ms 5f3e…`: one line per request (npm start's default log). */
export const compactRequestLine = ({ method, path, statusCode, ms, requestId }: RequestLogEntry) =>
  `${new Date().toISOString().slice(11, 19)} ${method} ${path} ${statusCode} ${ms} ms ${requestId}`;

/** A small HTTP server that routes each request to the very handlers deployed to Lambda. */
export function createApiServer(
  routes: readonly LocalRoute[],
  timeouts: ServerTimeouts = SERVER_TIMEOUTS,
  { onRequest, pages }: {
    onRequest?: (entry: RequestLogEntry) => void;
    /** Local-only GET pages by path (the front door, lib/local/front-door.ts); API routes win. */
    pages?: ReadonlyMap<string, () => HttpResponse>;
  } = {},
): Server {
  const cors = parseAllowedOrigins(process.env[CORS_ENV]);
  // Built from the request schemas and the route table at start: it cannot be stale (lib/http/openapi.ts).
  const openApi = openApiDocument();
  // `servers` names the address the document was fetched from (a viewer's "try it" then calls this
  // server, whatever PORT and HOST are); a Host that is not a plain host:port keeps the default.
  const openApiFor = (host: string | undefined) =>
    jsonResponse(200, host && /^[\w.-]+(:\d{1,5})?$|^\[[\da-f:.]+\](:\d{1,5})?$/i.test(host)
      ? { ...openApi, servers: [{ url: `http://${host}`, description: 'This `npm start`' }] } : openApi);
  const server = createServer({ connectionsCheckingInterval: timeouts.connectionsCheckingInterval }, async (req, res) => {
    const startedAt = performance.now();
    let requestId = '-';
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    res.once('finish', () => onRequest?.({ method: req.method ?? '?', path: pathname, statusCode: res.statusCode, ms: Math.round(performance.now() - startedAt), requestId }));
    try {
      const { onPath, pathParameters } = routesForPath(routes, pathname);
      const route = onPath.find((r) => r.method === req.method);
      const body = await readBody(req);
      const event = toApiGatewayEvent(req, body ?? Buffer.alloc(0), route, pathParameters);
      requestId = event.requestContext.requestId;
      const methods = onPath.map((r) => r.method);
      // The CORS preflight, answered here as API Gateway answers it in AWS (its OPTIONS mock integration).
      const preflight = req.method === 'OPTIONS' && onPath.length > 0 && cors.length > 0
        ? async () => preflightResponse(req.headers.origin, methods, cors) : undefined;
      const document = req.method === 'GET' && pathname === OPENAPI_PATH ? async () => openApiFor(req.headers.host) : undefined;
      const page = pages?.get(pathname);
      const localPage = page && (req.method === 'GET' ? async () => page() : methodNotAllowed(['GET']));
      const handler = body === undefined
        ? payloadTooLarge
        : route?.handler ?? preflight ?? document ?? localPage ?? (onPath.length > 0 ? methodNotAllowed(methods) : notFound);
      const response = await handler(event, lambdaContext(event.requestContext.requestId, route?.timeoutSeconds ?? FALLBACK_TIMEOUT_SECONDS));
      // The functions add CORS to their own answers; what the server answers itself (the document,
      // 404, 405, 413) gets the same, or a browser app sees "Failed to fetch" instead of the envelope.
      const ownAnswer = handler !== route?.handler && handler !== preflight;
      // API Gateway drops headers whose value is undefined; Node would throw on them.
      const headers = Object.fromEntries(Object.entries({ ...response.headers, ...(ownAnswer && corsResponseHeaders(req.headers.origin, cors)) }).filter(([, v]) => v !== undefined));
      // The rest of a refused body is never read: the connection closes after the answer.
      if (body === undefined) headers.Connection = 'close';
      res.writeHead(response.statusCode, headers);
      res.end(response.body);
    } catch {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'Content-Type': JSON_TYPE });
      res.end(JSON.stringify({ success: false, message: 'Internal server error' }));
    }
  });
  server.headersTimeout = timeouts.headersTimeout;
  server.requestTimeout = timeouts.requestTimeout;
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
    socket.end(clientErrorResponse(error));
  });
  return server;
}
