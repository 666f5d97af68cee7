import { GenerateMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { IdentifierKeyRing } from '../../identifiers/hmac-identifier-digests.js';
import { callAws } from '../aws-errors.js';

/** The MAC input that derives one version's key; changing it would re-key every reservation. */
export const identifierKeyMessage = (version: string) => `patient-registration identifier key ${version}`;

/**
 * The identifier key ring derived from a KMS HMAC key: each version's in-process key is the KMS MAC
 * of a fixed message naming the version. The KMS key never leaves KMS, a cold start costs one call
 * per version, and rotating means adding a version (a new message) to IDENTIFIER_KEY_VERSIONS.
 */
export function kmsIdentifierKeyRing(kms: KMSClient, keyId: string, versions: readonly string[]): () => Promise<IdentifierKeyRing> {
  if (versions.length === 0) throw new Error('At least one identifier key version is needed');
  return async () => {
    const derived = await Promise.all(
      versions.map(async (version) => {
        const out = await callAws('kms', () =>
          kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from(identifierKeyMessage(version)) })),
        );
        if (!out.Mac) throw new Error('KMS returned no MAC');
        return [version, Buffer.from(out.Mac)] as const;
      }),
    );
    return { current: versions[0]!, keys: new Map(derived) };
  };
}
