import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../http/body-guard.js';
import { methodNotAllowed, notFound } from '../http/fallback-handlers.js';
import type { HttpResponse } from '../http/response.js';

export type LambdaHandler = (event: any, context: Context) => Promise<HttpResponse>;
export type Routes = Record<string, Partial<Record<string, LambdaHandler>>>;

/** Reads at most one byte past the limit, so an oversized body is still refused by the handler with 413. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES + 1).toString('utf8');
}

/** The same API Gateway HTTP API (payload v2) event the functions get in AWS. */
export function toApiGatewayEvent(req: IncomingMessage, body: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query = Object.fromEntries(url.searchParams);
  const method = req.method ?? 'GET';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: `${method} ${url.pathname}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body !== '' && { body }),
    isBase64Encoded: false,
  };
}

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '1024',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A small HTTP server that routes each request to the very handlers deployed to Lambda. */
export function createApiServer(routes: Routes): Server {
  return createServer(async (req, res) => {
    try {
      const event = toApiGatewayEvent(req, await readBody(req));
      const byMethod = routes[event.rawPath];
      const handler = byMethod ? (byMethod[event.requestContext.http.method] ?? methodNotAllowed(Object.keys(byMethod))) : notFound;
      const response = await handler(event, lambdaContext(event.requestContext.requestId));
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
