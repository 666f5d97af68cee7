import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/access-token-key/handler.js';

/**
 * The deploy-time generator of the access-token signing key (a CloudFormation custom resource). KMS is
 * mocked (aws-sdk-client-mock, every KMSClient) to count the one Encrypt and to fail it; CloudFormation's
 * presigned response URL is a loopback server that keeps what was PUT.
 */
const WRAPPING_KEY_ARN = 'arn:aws:kms:eu-west-2:111122223333:key/0c6f3c1e-6b5e-4a55-9d4c-3f0a1f7e2c11';
const kms = mockClient(KMSClient);
const answers: { body: Record<string, any>; contentType: string | undefined }[] = [];
const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};
const cloudFormation = createServer(async (request, response) => {
  answers.push({ body: await readBody(request), contentType: request.headers['content-type'] });
  response.end();
});
let responseUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}/presigned?X-Amz-Signature=x`;
});
afterAll(() => new Promise<void>((resolve) => cloudFormation.close(() => resolve())));
beforeEach(() => {
  answers.length = 0;
  kms.reset();
  kms.on(EncryptCommand).callsFake((input) => ({ CiphertextBlob: Buffer.from(`sealed:${input.EncryptionContext.kid}`), KeyId: input.KeyId }));
});

const event = (type: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}) => ({
  RequestType: type, ResponseURL: responseUrl, StackId: 'arn:aws:cloudformation:eu-west-2:111122223333:stack/Stateful/1', RequestId: 'req-1',
  LogicalResourceId: 'AccessTokenKeysKeyPairV1', ResourceType: 'Custom::AccessTokenSigningKey', ServiceToken: 'arn:fn',
  ResourceProperties: { ServiceToken: 'arn:fn', Version: 'v1', WrappingKeyArn: WRAPPING_KEY_ARN }, ...extra,
}) as unknown as CloudFormationCustomResourceEvent;

describe('the access-token signing key custom resource', () => {
  it('Create: a new key pair, named by its kid; the public JWK and the ciphertext as attributes, nothing private', async () => {
    await handler(event('Create'));
    const [{ body, contentType }] = answers as [typeof answers[0]];
    expect(contentType).toBeUndefined();
    expect(body).toMatchObject({ Status: 'SUCCESS', RequestId: 'req-1', LogicalResourceId: 'AccessTokenKeysKeyPairV1', StackId: expect.any(String) });
    const jwk = JSON.parse(body.Data.PublicJwk);
    expect(jwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: body.PhysicalResourceId, alg: 'ES256', use: 'sig' });
    expect(body.Data.Kid).toBe(jwk.kid);
    expect(Buffer.from(body.Data.WrappedKey, 'base64').toString()).toBe(`sealed:${jwk.kid}`);
    expect(JSON.stringify(body)).not.toMatch(/"d"/);
    expect(kms.commandCalls(EncryptCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ KeyId: WRAPPING_KEY_ARN, EncryptionContext: { purpose: 'access-token-signing-key', kid: jwk.kid } }),
    ]);
  });

  it('Update (the wrapping key changed): another key pair under another physical id, so CloudFormation replaces it', async () => {
    await handler(event('Create'));
    await handler(event('Update', { PhysicalResourceId: 'old-kid', OldResourceProperties: {} }));
    expect(answers.map((a) => a.body.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(answers[1]!.body.PhysicalResourceId).not.toBe('old-kid');
    expect(answers[1]!.body.PhysicalResourceId).not.toBe(answers[0]!.body.PhysicalResourceId);
  });

  it('Delete: nothing to undo, no KMS call', async () => {
    await handler(event('Delete', { PhysicalResourceId: 'the-kid' }));
    expect(answers.map((a) => a.body)).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'the-kid' })]);
    expect(kms.commandCalls(EncryptCommand)).toHaveLength(0);
  });

  it('answers FAILED (never leaves the stack waiting) with the error\'s type only, when KMS refuses', async () => {
    kms.on(EncryptCommand).rejects(Object.assign(new Error('User arn:aws:iam::111122223333:role/x is not authorized'), { name: 'AccessDeniedException' }));
    await handler(event('Create'));
    const [{ body }] = answers as [typeof answers[0]];
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'failed-req-1', Reason: expect.stringContaining('AccessDeniedException') });
    expect(body.Reason).not.toContain('111122223333');
    expect(body.Data).toBeUndefined();
  });
});
