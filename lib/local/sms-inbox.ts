/**
 * The local SMS inbox: there is no SMS emulator, so this is a small one. It speaks the part of the
 * AWS End User Messaging SMS API the service uses — SendTextMessage in the awsJson1_0 protocol
 * (`POST /`, `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`), as the real SDK client sends it
 * when pointed here with SMS_ENDPOINT — and keeps the texts: an inbox page at `GET /` and JSON at
 * `GET /store` (like the SES emulator's), `DELETE /store` empties it. Signatures are not checked.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml } from '../escape-html.js';
import { assertListening, LOOPBACK, urlHost } from './services.js';

export interface StoredText {
  messageId: string;
  /** ISO time the text arrived. */
  at: string;
  to: string;
  from: string;
  body: string;
  messageType: string | undefined;
  configurationSet: string | undefined;
}

export interface SmsInbox {
  endpoint: string;
  texts(): readonly StoredText[];
  stop(): Promise<void>;
}

const TARGET = 'PinpointSMSVoiceV2.SendTextMessage';
const MAX_BODY_BYTES = 64 * 1024;
const E164 = /^\+[1-9][0-9]{1,14}$/;

function inboxPage(texts: readonly StoredText[]): string {
  const rows = [...texts].reverse().map((t) =>
    `<tr><td>${escapeHtml(t.at)}</td><td>${escapeHtml(t.to)}</td><td>${escapeHtml(t.from)}</td><td><pre>${escapeHtml(t.body)}</pre></td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Local SMS inbox</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
@media (max-width:600px){thead{display:none}tr,td{display:block}tr{border-bottom:1px solid #ccc;padding:.5rem 0}td{border:0;padding:.1rem 0}}</style>
</head><body><h1>Local SMS inbox</h1>
<p>${texts.length} text${texts.length === 1 ? '' : 's'}, newest first. JSON: <a href="/store">/store</a>. Reload to see new ones.</p>
<table><thead><tr><th>received</th><th>to</th><th>from</th><th>text</th></tr></thead><tbody>
${rows || '<tr><td colspan="4">No texts yet.</td></tr>'}
</tbody></table></body></html>`;
}

/** An awsJson1_0 error, as the SDK parses it (`__type` names the exception). */
function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message }));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSmsInbox(options: { port?: number; host?: string } = {}): Promise<SmsInbox> {
  const texts: StoredText[] = [];

  async function sendTextMessage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (raw === undefined) return awsError(res, 413, 'ValidationException', 'Request too large');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return awsError(res, 400, 'SerializationException', 'Body is not JSON');
    }
    const { DestinationPhoneNumber: to, MessageBody: body, OriginationIdentity: from } = input;
    if (typeof to !== 'string' || !E164.test(to)) return awsError(res, 400, 'ValidationException', 'DestinationPhoneNumber must be E.164');
    if (typeof body !== 'string' || body.length === 0 || body.length > 1600) return awsError(res, 400, 'ValidationException', 'MessageBody must be 1 to 1600 characters');
    const messageId = randomUUID();
    texts.push({
      messageId,
      at: new Date().toISOString(),
      to,
      from: typeof from === 'string' ? from : '',
      body,
      messageType: typeof input.MessageType === 'string' ? input.MessageType : undefined,
      configurationSet: typeof input.ConfigurationSetName === 'string' ? input.ConfigurationSetName : undefined,
    });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ MessageId: messageId }));
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://inbox').pathname;
    const handle = async () => {
      if (req.method === 'POST' && path === '/') {
        const target = req.headers['x-amz-target'];
        if (target !== TARGET) return awsError(res, 400, 'UnknownOperationException', `Only ${TARGET} is emulated`);
        return sendTextMessage(req, res);
      }
      if (req.method === 'GET' && path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return void res.end(inboxPage(texts));
      }
      if (req.method === 'GET' && path === '/store') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        return void res.end(JSON.stringify({ texts }));
      }
      if (req.method === 'DELETE' && path === '/store') {
        texts.length = 0;
        res.writeHead(204);
        return void res.end();
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
    };
    handle().catch(() => {
      if (!res.headersSent) awsError(res, 500, 'InternalServerException', 'inbox failure');
      else res.end();
    });
  });
  const host = options.host ?? LOOPBACK;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${options.port} is in use; set SMS_PORT to another port`) : error));
    server.listen(options.port ?? 0, host, resolve);
  });
  assertListening(server, options.port ?? 0, 'SMS_PORT');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${urlHost(host)}:${port}`,
    texts: () => texts,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
