import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type LocalRoute } from '../../lib/local/api-server.js';

/**
 * The local server must hand the handlers the event API Gateway's REST API (v1 proxy) sends in AWS,
 * so a difference between event versions cannot hide locally. A capturing route records it.
 */
let seen: { event: APIGatewayProxyEvent; remainingMs: number } | undefined;
const capture: LocalRoute = {
  method: 'POST', path: '/api/v1/capture', functionName: 'register', timeoutSeconds: 7,
  handler: async (event: APIGatewayProxyEvent, context: Context) => {
    seen = { event, remainingMs: context.getRemainingTimeInMillis() };
    return { statusCode: 204, headers: {}, body: '' };
  },
};
const server = createApiServer([capture]);
let port: number;
beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { port = (server.address() as AddressInfo).port; resolve(); })));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Raw request: duplicate headers and exact bytes, which fetch would not let through as they are. */
function send(path: string, headers: Record<string, string | string[]>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local server events', () => {
  it('are REST API (v1) proxy events: method, resource, single- and multi-value headers and query, request context', async () => {
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
    const status = await send('/api/v1/capture?token=a&token=b&x=1', { 'Content-Type': 'application/json', 'X-Tag': ['one', 'two'] }, body);
    expect(status).toBe(204);
    const { event } = seen!;
    expect(event).toMatchObject({
      httpMethod: 'POST',
      resource: '/api/v1/capture',
      path: '/api/v1/capture',
      queryStringParameters: { token: 'b', x: '1' },
      multiValueQueryStringParameters: { token: ['a', 'b'], x: ['1'] },
      pathParameters: null,
      requestContext: { httpMethod: 'POST', resourcePath: '/api/v1/capture', stage: 'local', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The client's spelling of header names, as API Gateway passes them; the handlers normalize.
    expect(event.headers['Content-Type']).toBe('application/json');
    expect(event.multiValueHeaders['X-Tag']).toEqual(['one', 'two']);
    expect(event.headers['X-Tag']).toBe('two');
    expect(event).not.toHaveProperty('rawPath');
    expect(event).not.toHaveProperty('requestContext.http');
  });

  it('carry the body as base64 of its exact bytes, as the deployed API (binaryMediaTypes */*) does', async () => {
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await send('/api/v1/capture', { 'Content-Type': 'application/json' }, body);
    expect(seen!.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen!.event.body!, 'base64')).toEqual(body);
  });

  it('carry no body as null, not base64', async () => {
    await send('/api/v1/capture', { 'Content-Type': 'application/json' }, Buffer.alloc(0));
    expect(seen!.event).toMatchObject({ body: null, isBase64Encoded: false });
  });

  it("give the handler the route's own timeout as its remaining time", async () => {
    await send('/api/v1/capture', { 'Content-Type': 'application/json' }, Buffer.from('{}'));
    expect(seen!.remainingMs).toBeLessThanOrEqual(7_000);
    expect(seen!.remainingMs).toBeGreaterThan(5_000);
  });
});
