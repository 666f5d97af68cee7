import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in received: the KMS operation and its JSON body. */
export interface KmsRequest { target: string; body: Record<string, any> }

export interface FakeKms {
  endpoint: string;
  received: KmsRequest[];
  stop(): Promise<void>;
}

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
};

/**
 * A KMS stand-in on loopback for the real KMS SDK client (there is no KMS emulator), speaking the
 * JSON 1.1 protocol: GenerateDataKey answers a random data key and remembers it with its encryption
 * context, so Decrypt gives it back only under the same context (as KMS does), and so does
 * Encrypt with the plaintext it is given (the wrapped access-token signing key); GenerateMac a
 * deterministic HMAC-SHA-256 of the message under a per-server secret, as an HMAC key would.
 * Anything else (Sign, GetPublicKey: no function calls them) is refused.
 */
export async function startFakeKms(keyArn: string): Promise<FakeKms> {
  const macSecret = randomBytes(32);
  const dataKeys = new Map<string, { plaintext: string; context: string }>();
  const received: KmsRequest[] = [];
  const contextOf = (body: Record<string, any>) => JSON.stringify(Object.entries(body.EncryptionContext ?? {}).sort());
  const refuse = (response: import('node:http').ServerResponse, type: string, message: string) => {
    response.statusCode = 400;
    response.end(JSON.stringify({ __type: type, message }));
  };
  const server = createServer(async (request, response) => {
    const target = String(request.headers['x-amz-target']).replace('TrentService.', '');
    const body = await readBody(request);
    received.push({ target, body });
    response.setHeader('Content-Type', 'application/x-amz-json-1.1');
    switch (target) {
      case 'GenerateDataKey': {
        const plaintext = randomBytes(32).toString('base64');
        const blob = randomBytes(184).toString('base64');
        dataKeys.set(blob, { plaintext, context: contextOf(body) });
        response.end(JSON.stringify({ KeyId: keyArn, Plaintext: plaintext, CiphertextBlob: blob }));
        return;
      }
      case 'Encrypt': {
        const blob = randomBytes(184).toString('base64');
        dataKeys.set(blob, { plaintext: body.Plaintext, context: contextOf(body) });
        response.end(JSON.stringify({ KeyId: body.KeyId, CiphertextBlob: blob, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
        return;
      }
      case 'Decrypt': {
        const key = dataKeys.get(body.CiphertextBlob);
        if (!key || key.context !== contextOf(body)) return refuse(response, 'InvalidCiphertextException', 'no such data key under this context');
        response.end(JSON.stringify({ KeyId: keyArn, Plaintext: key.plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
        return;
      }
      case 'GenerateMac': {
        const mac = createHmac('sha256', macSecret).update(Buffer.from(body.Message, 'base64')).digest('base64');
        response.end(JSON.stringify({ KeyId: body.KeyId, MacAlgorithm: body.MacAlgorithm, Mac: mac }));
        return;
      }
      default:
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'AccessDeniedException', message: `the stand-in does not serve ${target}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
