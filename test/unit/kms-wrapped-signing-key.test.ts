import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeProtectedHeader } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKmsWrappedEs256KeySource, generateWrappedSigningKey, SIGNING_KEY_PURPOSE } from '../../lib/adapters/kms/kms-wrapped-signing-key.js';
import { createAccessTokens } from '../../lib/auth/access-tokens.js';
import { ServiceUnavailableError } from '../../lib/errors.js';

/**
 * The signing key wrapped under a symmetric KMS key: generated and wrapped at deploy, unwrapped once
 * per cold start. aws-sdk-client-mock stands in for KMS where a failure is needed (throttling); the
 * round trip through the real SDK client and the KMS stand-in is test/integration/kms-envelope.test.ts.
 */
const WRAPPING_KEY_ARN = 'arn:aws:kms:eu-west-2:111122223333:key/0c6f3c1e-6b5e-4a55-9d4c-3f0a1f7e2c11';
const PATIENT_ID = '0b7c2d3e-1f4a-4b5c-8d6e-7f8091a2b3c4';
const NOW = new Date('2026-03-01T10:00:00.000Z');

const kms = new KMSClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const mock = mockClient(kms);
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** What the stand-in encrypted, in order (copies: the caller zeroes its plaintext after Encrypt). */
let sealed = new Map<string, { plaintext: Uint8Array; context: string }>();
/** Decrypts to fail with a throttle before answering again. */
let throttleDecrypts = 0;

/** Acts as KMS does: a ciphertext decrypts only under the key and encryption context it was encrypted with. */
function kmsThatRemembers() {
  sealed = new Map();
  throttleDecrypts = 0;
  mock.on(EncryptCommand).callsFake((input) => {
    const blob = Buffer.from(`blob-${sealed.size}`);
    sealed.set(blob.toString('base64'), { plaintext: Uint8Array.from(input.Plaintext), context: JSON.stringify(input.EncryptionContext) });
    return { CiphertextBlob: blob, KeyId: input.KeyId };
  });
  mock.on(DecryptCommand).callsFake((input) => {
    if (throttleDecrypts > 0 && throttleDecrypts--) throw throttled();
    const entry = sealed.get(Buffer.from(input.CiphertextBlob).toString('base64'));
    if (!entry || entry.context !== JSON.stringify(input.EncryptionContext)) throw Object.assign(new Error('invalid'), { name: 'InvalidCiphertextException', $fault: 'client' });
    return { Plaintext: entry.plaintext, KeyId: input.KeyId };
  });
}

beforeEach(() => {
  mock.reset();
  kmsThatRemembers();
});

describe('the access-token signing key wrapped under KMS', () => {
  it('is generated as a P-256 pair whose private half reaches KMS only inside Encrypt, under its purpose and kid', async () => {
    const { publicJwk, wrappedKey } = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    expect(publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.stringMatching(/^[\w-]{43}$/), alg: 'ES256', use: 'sig' });
    const [encrypt] = mock.commandCalls(EncryptCommand);
    expect(encrypt!.args[0].input).toMatchObject({ KeyId: WRAPPING_KEY_ARN, EncryptionContext: { purpose: SIGNING_KEY_PURPOSE, kid: publicJwk.kid } });
    // The returned values carry no private member.
    expect(JSON.stringify({ publicJwk, wrappedKey })).not.toMatch(/"d"/);
  });

  it('unwraps once per process with one Decrypt, then signs every token in memory', async () => {
    const { publicJwk, wrappedKey } = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    const signingKey = createKmsWrappedEs256KeySource(kms, { wrappingKeyId: WRAPPING_KEY_ARN, wrappedKey, kid: publicJwk.kid });
    const tokens = createAccessTokens({ signingKey, issuer: 'https://api.test/dev', audience: 'dev' });
    const issued = await Promise.all([1, 2, 3, 4, 5].map(() => tokens.issue(PATIENT_ID, NOW)));
    for (const { token } of issued) {
      expect(decodeProtectedHeader(token).kid).toBe(publicJwk.kid);
      await expect(tokens.verify(token, NOW)).resolves.toMatchObject({ patientId: PATIENT_ID });
    }
    expect(mock.commandCalls(DecryptCommand)).toHaveLength(1);
    expect(mock.commandCalls(DecryptCommand)[0]!.args[0].input).toMatchObject({ KeyId: WRAPPING_KEY_ARN, EncryptionContext: { purpose: SIGNING_KEY_PURPOSE, kid: publicJwk.kid } });
  });

  it('turns a throttled Decrypt into a 503 and unwraps again on the next request', async () => {
    const { publicJwk, wrappedKey } = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    const signingKey = createKmsWrappedEs256KeySource(kms, { wrappingKeyId: WRAPPING_KEY_ARN, wrappedKey, kid: publicJwk.kid });
    throttleDecrypts = 1;
    await expect(signingKey.sign(Buffer.from('a.b'))).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(signingKey.sign(Buffer.from('a.b'))).resolves.toHaveLength(64);
    await signingKey.sign(Buffer.from('a.b'));
    expect(mock.commandCalls(DecryptCommand)).toHaveLength(2);
  });

  it('refuses a ciphertext presented under another version\'s kid (KMS refuses the context)', async () => {
    const first = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    const second = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    const swapped = createKmsWrappedEs256KeySource(kms, { wrappingKeyId: WRAPPING_KEY_ARN, wrappedKey: first.wrappedKey, kid: second.publicJwk.kid });
    await expect(swapped.sign(Buffer.from('a.b'))).rejects.toThrow('invalid');
  });

  it('refuses to sign with a key that is not the one its kid names', async () => {
    const first = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    const second = await generateWrappedSigningKey(kms, WRAPPING_KEY_ARN);
    // A KMS that decrypts anything (as a mix-up of parameters would look): the thumbprint check still holds.
    const plaintextOfFirst = [...sealed.values()][0]!.plaintext;
    mock.on(DecryptCommand).resolves({ Plaintext: Uint8Array.from(plaintextOfFirst) });
    const mismatched = createKmsWrappedEs256KeySource(kms, { wrappingKeyId: WRAPPING_KEY_ARN, wrappedKey: first.wrappedKey, kid: second.publicJwk.kid });
    await expect(mismatched.sign(Buffer.from('a.b'))).rejects.toThrow('not the key its kid names');
  });

  it('fails when KMS returns no plaintext, rather than signing with nothing', async () => {
    mock.on(DecryptCommand).resolves({});
    const source = createKmsWrappedEs256KeySource(kms, { wrappingKeyId: WRAPPING_KEY_ARN, wrappedKey: 'AQID', kid: 'k' });
    await expect(source.publicKey()).rejects.toThrow('no plaintext');
  });
});

