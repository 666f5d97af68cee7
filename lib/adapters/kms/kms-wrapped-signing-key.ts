import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { publishedJwkOf } from '../../auth/access-tokens.js';
import type { Es256KeySource, PublishedJwk } from '../../auth/ports.js';
import { loadOnce } from '../../load-once.js';
import { callAws } from '../aws-errors.js';
import { createInMemoryEs256KeySource } from '../crypto/in-memory-es256-key-source.js';

/**
 * The access-token signing key, envelope-encrypted under a symmetric KMS key. Generated at deploy
 * (functions/access-token-key, a CloudFormation custom resource): the private JWK leaves that
 * function only as the ciphertext of one `kms:Encrypt`. A signing function unwraps it with one
 * `kms:Decrypt` per cold start and then signs in memory: no KMS call per token, so KMS's ECC quota
 * (300/s per account and region, shared by every Sign) no longer bounds sign-ins.
 *
 * The encryption context binds the ciphertext to its public key: `kid` is the thumbprint the
 * signing function reads from the published keys, so a ciphertext swapped for another version's
 * fails to decrypt instead of signing under the wrong `kid`. IAM grants Decrypt only with this purpose.
 */
export const SIGNING_KEY_PURPOSE = 'access-token-signing-key';

export const signingKeyContext = (kid: string) => ({ purpose: SIGNING_KEY_PURPOSE, kid });

export interface WrappedSigningKey {
  /** The public half, as the JWKS publishes it (its `kid` names the version in every token). */
  publicJwk: PublishedJwk;
  /** The private JWK, encrypted by KMS under the wrapping key and `signingKeyContext(kid)`; base64. */
  wrappedKey: string;
}

/** Deploy time: a new P-256 key pair, returned with its private half wrapped (never in clear). */
export async function generateWrappedSigningKey(kms: KMSClient, wrappingKeyId: string): Promise<WrappedSigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = await publishedJwkOf(publicKey);
  const plaintext = Buffer.from(JSON.stringify(privateKey.export({ format: 'jwk' })));
  try {
    const out = await callAws('kms', () => kms.send(new EncryptCommand({
      KeyId: wrappingKeyId, Plaintext: plaintext, EncryptionContext: signingKeyContext(publicJwk.kid),
    })));
    if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
    return { publicJwk, wrappedKey: Buffer.from(out.CiphertextBlob).toString('base64') };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Cold start of a signing function: one Decrypt on first use (a failed one is retried by the next
 * request, not cached), then every signature in process. The unwrapped key must be the one `kid`
 * names, or the function refuses to sign at all.
 */
export function createKmsWrappedEs256KeySource(kms: KMSClient, options: { wrappingKeyId: string; wrappedKey: string; kid: string }): Es256KeySource {
  const { wrappingKeyId, wrappedKey, kid } = options;
  const signer = loadOnce(async () => {
    const out = await callAws('kms', () => kms.send(new DecryptCommand({
      KeyId: wrappingKeyId, CiphertextBlob: Buffer.from(wrappedKey, 'base64'), EncryptionContext: signingKeyContext(kid),
    })));
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    const plaintext = Buffer.from(out.Plaintext.buffer, out.Plaintext.byteOffset, out.Plaintext.byteLength);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: JSON.parse(plaintext.toString('utf8')), format: 'jwk' });
    } finally {
      // The KeyObject holds the key from here on; the JSON copy is not left in the heap.
      plaintext.fill(0);
    }
    const source = createInMemoryEs256KeySource(privateKey);
    if ((await publishedJwkOf(await source.publicKey())).kid !== kid) throw new Error('The unwrapped access-token signing key is not the key its kid names');
    return source;
  });
  return {
    async sign(signingInput) {
      return (await signer()).sign(signingInput);
    },
    async publicKey() {
      return (await signer()).publicKey();
    },
  };
}
