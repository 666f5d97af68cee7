import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { KMSClient } from '@aws-sdk/client-kms';
import { answerCustomResource } from '../../lib/adapters/cloudformation/custom-resource.js';
import { generateWrappedSigningKey } from '../../lib/adapters/kms/kms-wrapped-signing-key.js';

const kms = new KMSClient({});

/**
 * The access-token signing key of one version (custom resource Custom::AccessTokenSigningKey in the
 * stateful stack, infra/constructs/access-token-keys.ts). Create: a new P-256 pair, its private half
 * only as KMS ciphertext; the public JWK and the ciphertext become the resource's attributes, which
 * the stateless stack puts into the functions' environment. Update (the wrapping key changed): a new
 * pair under a new physical id, so CloudFormation replaces the resource. Delete: nothing to undo,
 * the ciphertext lives only in the stack.
 */
export const handler = (event: CloudFormationCustomResourceEvent) =>
  answerCustomResource(event, async (request) => {
    if (request.RequestType === 'Delete') return { physicalResourceId: request.PhysicalResourceId };
    const wrappingKeyId = request.ResourceProperties.WrappingKeyArn;
    if (typeof wrappingKeyId !== 'string' || !wrappingKeyId) throw new Error('WrappingKeyArn is missing');
    const { publicJwk, wrappedKey } = await generateWrappedSigningKey(kms, wrappingKeyId);
    return { physicalResourceId: publicJwk.kid, data: { Kid: publicJwk.kid, PublicJwk: JSON.stringify(publicJwk), WrappedKey: wrappedKey } };
  });
