import { createHmac } from 'node:crypto';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { identifierKeyMessage, kmsIdentifierKeyRing } from '../../lib/adapters/kms/kms-identifier-key-ring.js';
import { createHmacIdentifierDigests, parseIdentifierKeyRing } from '../../lib/identifiers/hmac-identifier-digests.js';

const SECRET_1 = 'a'.repeat(32);
const SECRET_2 = 'b'.repeat(40);
const ring = (json: object) => async () => parseIdentifierKeyRing(JSON.stringify(json));
const hmac = (secret: string, input: string) => createHmac('sha256', secret).update(input).digest('hex');

describe('keyed identifier digests', () => {
  it('are HMAC-SHA-256 under the current version, with the kind inside the MAC', async () => {
    const digests = createHmacIdentifierDigests(ring({ current: 'v1', v1: SECRET_1 }));
    expect(await digests.current('email', 'jane@x.test')).toBe(`v1.${hmac(SECRET_1, 'email:jane@x.test')}`);
    expect(await digests.current('phone', 'jane@x.test')).not.toBe(await digests.current('email', 'jane@x.test'));
  });

  it('differ between keys: without the key a list of likely addresses does not reverse them', async () => {
    const one = createHmacIdentifierDigests(ring({ current: 'v1', v1: SECRET_1 }));
    const other = createHmacIdentifierDigests(ring({ current: 'v1', v1: SECRET_2 }));
    expect(await one.current('email', 'jane@x.test')).not.toBe(await other.current('email', 'jane@x.test'));
  });

  it('list every version, current first, for lookups during a rotation', async () => {
    const digests = createHmacIdentifierDigests(ring({ current: 'v2', v1: SECRET_1, v2: SECRET_2 }));
    expect(await digests.all('phone', '+14155552671')).toEqual([
      `v2.${hmac(SECRET_2, 'phone:+14155552671')}`,
      `v1.${hmac(SECRET_1, 'phone:+14155552671')}`,
    ]);
  });

  it('load the key ring once per process, and try again after a failed load', async () => {
    let loads = 0;
    let fail = true;
    const digests = createHmacIdentifierDigests(async () => {
      loads++;
      if (fail) throw new Error('KMS unreachable');
      return parseIdentifierKeyRing(JSON.stringify({ current: 'v1', v1: SECRET_1 }));
    });
    await expect(digests.current('email', 'a@b.co')).rejects.toThrow('KMS unreachable');
    fail = false;
    await Promise.all([digests.current('email', 'a@b.co'), digests.all('email', 'a@b.co'), digests.current('phone', '+14155552671')]);
    await digests.current('email', 'c@d.co');
    expect(loads).toBe(2);
  });

  it.each([
    ['not JSON', 'nope'],
    ['no current version', JSON.stringify({ v1: SECRET_1 })],
    ['a current version it does not hold', JSON.stringify({ current: 'v2', v1: SECRET_1 })],
    ['a short secret', JSON.stringify({ current: 'v1', v1: 'short' })],
    ['a malformed version name', JSON.stringify({ current: 'one', one: SECRET_1 })],
  ])('refuse a key ring with %s, without echoing its secrets', (_case, json) => {
    let message = '';
    try {
      parseIdentifierKeyRing(json);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/identifier key/i);
    expect(message).not.toContain(SECRET_1);
  });
});

describe('the identifier key ring from a KMS HMAC key', () => {
  const kms = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(kms);
  beforeEach(() => mock.reset());

  it('derives each version with one GenerateMac of a fixed message, current version first', async () => {
    mock.on(GenerateMacCommand).callsFake((input) => ({ Mac: Buffer.from(`mac of ${Buffer.from(input.Message).toString()}`.padEnd(32, '.')) }));
    const keyRing = await kmsIdentifierKeyRing(kms, 'arn:aws:kms:us-east-1:111122223333:key/hmac', ['v2', 'v1'])();
    expect(keyRing.current).toBe('v2');
    expect([...keyRing.keys.keys()]).toEqual(['v2', 'v1']);
    const calls = mock.commandCalls(GenerateMacCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call).toMatchObject({ KeyId: 'arn:aws:kms:us-east-1:111122223333:key/hmac', MacAlgorithm: 'HMAC_SHA_256' });
    }
    expect(calls.map((c) => Buffer.from(c.Message!).toString())).toEqual([identifierKeyMessage('v2'), identifierKeyMessage('v1')]);
    expect(keyRing.keys.get('v1')!.toString()).toContain(identifierKeyMessage('v1'));
  });

  it('fails when KMS gives no MAC, rather than digesting under an empty key', async () => {
    mock.on(GenerateMacCommand).resolves({});
    await expect(kmsIdentifierKeyRing(kms, 'k', ['v1'])()).rejects.toThrow('KMS returned no MAC');
  });
});
