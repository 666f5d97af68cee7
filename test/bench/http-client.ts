import { Agent, request } from 'node:http';

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

/** A keep-alive HTTP/1.1 client, so each measured request reuses a connection like a browser or API Gateway would. */
export function createClient(baseUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(baseUrl);
  const send = (method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<HttpResult> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const req = request({
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...extraHeaders, ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  };
  return {
    post: (path: string, body: unknown, headers: Record<string, string> = {}) => send('POST', path, body, headers),
    get: (path: string, headers: Record<string, string> = {}) => send('GET', path, undefined, headers),
    close: () => agent.destroy(),
  };
}

export type HttpClient = ReturnType<typeof createClient>;
