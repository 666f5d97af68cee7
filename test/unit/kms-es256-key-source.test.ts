import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand, type GetPublicKeyCommandOutput } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeProtectedHeader } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { derToJoseEs256Signature } from '../../lib/adapters/kms/ecdsa-der-signature.js';
import { createKmsEs256KeySource } from '../../lib/adapters/kms/kms-es256-key-source.js';
import { createAccessTokens } from '../../lib/auth/access-tokens.js';
import { ServiceUnavailableError } from '../../lib/errors.js';

const KEY_ARN = 'arn:aws:kms:eu-west-2:111122223333:key/5f0c5c1e-6b5e-4a55-9d4c-3f0a1f7e2c11';
const PATIENT_ID = '0b7c2d3e-1f4a-4b5c-8d6e-7f8091a2b3c4';
const NOW = new Date('2026-03-01T10:00:00.000Z');
// Stands in for the key inside KMS: the mock signs with it the way KMS does (DER, X9.62).
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const kms = new KMSClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const mock = mockClient(kms);

const GET_PUBLIC_KEY: Partial<GetPublicKeyCommandOutput> = {
  KeyId: KEY_ARN,
  KeySpec: 'ECC_NIST_P256',
  KeyUsage: 'SIGN_VERIFY',
  SigningAlgorithms: ['ECDSA_SHA_256'],
  PublicKey: publicKey.export({ format: 'der', type: 'spki' }),
};

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

function tokensOnKms() {
  const keySource = createKmsEs256KeySource(kms, KEY_ARN);
  return { keySource, tokens: createAccessTokens({ signingKey: keySource, issuer: 'https://api.test/dev', audience: 'dev' }) };
}

beforeEach(() => {
  mock.reset();
  mock.on(GetPublicKeyCommand).resolves(GET_PUBLIC_KEY);
  mock.on(SignCommand).callsFake((input) => ({ Signature: sign('sha256', input.Message, { key: privateKey, dsaEncoding: 'der' }), KeyId: KEY_ARN }));
});

describe('access tokens signed by a KMS key', () => {
  it('send Sign for the JWS signing input with the key and ECDSA_SHA_256, and verify', async () => {
    const { tokens } = tokensOnKms();
    const { token } = await tokens.issue(PATIENT_ID, NOW);
    const calls = mock.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    const command = calls[0]!.args[0];
    expect(command.input).toMatchObject({ KeyId: KEY_ARN, SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'RAW' });
    expect(Buffer.from(command.input.Message!).toString()).toBe(token.split('.').slice(0, 2).join('.'));
    await expect(tokens.verify(token, NOW)).resolves.toMatchObject({ patientId: PATIENT_ID });
    // The kid is the key's thumbprint, not the ARN: tokens do not carry the account id.
    expect(decodeProtectedHeader(token).kid).not.toContain('111122223333');
  });

  it('fetch the public key once across many verifications', async () => {
    const { tokens } = tokensOnKms();
    const issued = await Promise.all([1, 2, 3].map(() => tokens.issue(PATIENT_ID, NOW)));
    for (const { token } of [...issued, ...issued]) await tokens.verify(token, NOW);
    expect(mock.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it('turn throttling into a 503, and fetch the public key again after a failed fetch', async () => {
    const { keySource } = tokensOnKms();
    mock.on(GetPublicKeyCommand).rejectsOnce(throttled()).resolves(GET_PUBLIC_KEY);
    await expect(keySource.publicKey()).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(keySource.publicKey()).resolves.toBeDefined();
    await keySource.publicKey();
    expect(mock.commandCalls(GetPublicKeyCommand)).toHaveLength(2);

    mock.on(SignCommand).rejects(throttled());
    await expect(keySource.sign(Buffer.from('a.b'))).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it.each([
    ['an RSA key', { KeySpec: 'RSA_2048' as const }],
    ['a P-384 key', { KeySpec: 'ECC_NIST_P384' as const }],
    ['an encryption key', { KeyUsage: 'ENCRYPT_DECRYPT' as const }],
    ['no public key', { PublicKey: undefined }],
  ])('refuse %s', async (_case, change) => {
    mock.on(GetPublicKeyCommand).resolves({ ...GET_PUBLIC_KEY, ...change });
    await expect(tokensOnKms().keySource.publicKey()).rejects.toThrow('ECC_NIST_P256');
  });

  it('refuse a signing input over KMS\'s RAW limit without calling Sign', async () => {
    await expect(tokensOnKms().keySource.sign(new Uint8Array(4097))).rejects.toThrow('too large');
    expect(mock.commandCalls(SignCommand)).toHaveLength(0);
  });

  it('fail when KMS returns no signature, rather than issuing an unsigned token', async () => {
    mock.on(SignCommand).resolves({});
    await expect(tokensOnKms().tokens.issue(PATIENT_ID, NOW)).rejects.toThrow('no signature');
  });
});

describe('a DER ECDSA signature in JWS form (r‖s, 32 bytes each)', () => {
  const integerLengths = (der: Buffer) => [der[3]!, der[5 + der[3]!]!];

  it('converts real signatures, whatever the length of r and s (leading 0x00, or short and padded)', () => {
    const seen = new Set<number>();
    // About half of r and s have their top bit set (33 bytes in DER), about 1 in 256 is short (≤ 31).
    for (let i = 0; i < 20_000 && !(seen.has(33) && seen.has(32) && seen.has(31)); i++) {
      const message = createHash('sha256').update(String(i)).digest();
      const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      const jose = derToJoseEs256Signature(der);
      expect(jose).toHaveLength(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      for (const length of integerLengths(der)) seen.add(Math.min(length, 33));
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining([31, 32, 33]));
  });

  it.each([
    ['empty', ''],
    ['not a SEQUENCE', '3106020101020101'],
    ['a wrong SEQUENCE length', '3007020101020101'],
    ['an INTEGER running past the end', '3006020901020101'],
    ['an empty INTEGER', '3006020002020101'],
    ['trailing bytes', '300702010102010100'],
    // SEQUENCE of 38 bytes: INTEGER r of 33 bytes without a leading 0x00 (too large for P-256), INTEGER s = 1.
    ['an r longer than 32 bytes', `3026022101${'ff'.repeat(32)}020101`],
  ])('refuses %s', (_case, hex) => {
    expect(() => derToJoseEs256Signature(Buffer.from(hex, 'hex'))).toThrow('malformed');
  });
});
