import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegisterHandler } from '../../functions/register/handler.js';
import { loadConfig } from '../../lib/config.js';
import { createRegisterDeps } from '../../lib/wiring.js';
import { getItem } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

/**
 * Registration with the AWS KMS data-key source, as the register function runs in AWS: the real
 * KMS SDK client (built by the register wiring) talks HTTP to a KMS stand-in on loopback, since no
 * KMS emulator exists. It shows what register asks KMS for, and gives the IAM comparison (test/iam)
 * a recorded call for the register function's kms:GenerateDataKey grant.
 */
interface KmsRequest { target: string; body: Record<string, any> }
const received: KmsRequest[] = [];
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
};

/** Answers GenerateDataKey the way KMS does (JSON 1.1 protocol); anything else is refused. */
const kms = createServer(async (request, response) => {
  const target = String(request.headers['x-amz-target']).replace('TrentService.', '');
  received.push({ target, body: await readBody(request) });
  response.setHeader('Content-Type', 'application/x-amz-json-1.1');
  if (target !== 'GenerateDataKey') {
    response.statusCode = 400;
    response.end(JSON.stringify({ __type: 'AccessDeniedException', message: `the stand-in does not serve ${target}` }));
    return;
  }
  response.end(JSON.stringify({ KeyId: KEY_ARN, Plaintext: randomBytes(32).toString('base64'), CiphertextBlob: randomBytes(184).toString('base64') }));
});
await new Promise<void>((resolve) => kms.listen(0, '127.0.0.1', resolve));

// The register function's configuration in AWS: a KMS key, and credentials from the environment.
const saved = { ...process.env };
Object.assign(process.env, {
  KMS_KEY_ID: KEY_ARN,
  AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${(kms.address() as AddressInfo).port}`,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});
afterAll(async () => {
  for (const name of ['KMS_KEY_ID', 'AWS_ENDPOINT_URL_KMS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await new Promise<void>((resolve) => kms.close(() => resolve()));
});

const register = createRegisterHandler(createRegisterDeps(loadConfig(process.env, ['encryption', 'mail'])));

describe('registration with AWS KMS envelope encryption', () => {
  it('asks KMS for one data key under the patient-phi context of the new patient, and never to decrypt', async () => {
    const response = await invoke(register, apiEvent(uniqueRegistration()));
    expect(response.statusCode).toBe(201);
    const patientId = response.body.data.patient_id;

    expect(received).toEqual([{
      target: 'GenerateDataKey',
      body: { KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { purpose: 'patient-phi', patient_id: patientId } },
    }]);
    const item = await getItem(`PATIENT#${patientId}`, 'PROFILE');
    expect(item?.phi_key).toMatchObject({ key_id: KEY_ARN });
  });
});
