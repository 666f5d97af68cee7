import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SIGNING_KEY_PURPOSE } from '../../lib/adapters/kms/kms-wrapped-signing-key.js';
import { DEFAULT_FUNCTIONS_DIR } from '../paths.js';
import type { LogSettings } from './encrypted-log-group.js';
import { ServiceFunction } from './service-function.js';

/**
 * The roles of the functions that issue tokens are named, so the wrapping key's policy can refuse
 * Decrypt to every other principal although those roles live in the stateless stack.
 */
const TOKEN_SIGNER_ROLE_PREFIX = (stage: string) => `patient-registration-${stage}-token-signer-`;
export const tokenSignerRoleName = (stage: string, functionName: string) => `${TOKEN_SIGNER_ROLE_PREFIX(stage)}${functionName}`;

/** One version of the access-token signing key, as CloudFormation attributes of its custom resource. */
export interface AccessTokenKeyVersion {
  readonly version: string;
  /** The public JWK (JSON, with its kid): what GET /.well-known/jwks.json publishes. */
  readonly publicJwk: string;
  /** The private JWK as ciphertext of the wrapping key (base64): useful only to a role that may Decrypt. */
  readonly wrappedKey: string;
}

export interface AccessTokenKeysProps {
  /** Current first; the others are published (verify only) until their last token expired. */
  readonly versions: readonly string[];
  readonly stage: string;
  readonly aliasPrefix: string;
  readonly logs: LogSettings;
  readonly logLevel: string;
}

/**
 * The ES256 access-token keys: a symmetric KMS key that wraps them, and one generated key pair per
 * version (a custom resource backed by functions/access-token-key). The private key is never in
 * clear outside the memory of the generator (once, at deploy) and of the signing functions (after
 * their one Decrypt per cold start). Where the ciphertext is kept, and why there: the custom
 * resource's attributes, which CloudFormation keeps and passes into the signing functions'
 * environment. Nothing to read at cold start but the one Decrypt, no extra service, no extra grant,
 * no cost, and no quota of its own (SSM Parameter Store's standard throughput is 40 reads/s per
 * account; Secrets Manager costs per secret and per call; a table item would be a storage of its
 * own in every store); and ciphertext in a template or an environment reveals nothing without Decrypt.
 */
export class AccessTokenKeys extends Construct {
  /**
   * Wraps the signing keys. Only the generator may Encrypt and only the signing functions Decrypt (IAM,
   * with the purpose context; the key policy refuses Decrypt to every other principal).
   */
  readonly wrappingKey: Key;
  readonly generator: ServiceFunction;
  readonly versions: readonly AccessTokenKeyVersion[];

  constructor(scope: Construct, id: string, props: AccessTokenKeysProps) {
    super(scope, id);
    const { versions } = props;
    if (versions.length === 0 || new Set(versions).size !== versions.length) {
      throw new Error('accessTokenSigningKeyVersions must list distinct versions, the current one first');
    }
    for (const version of versions) {
      if (!/^v[0-9]+$/.test(version)) throw new Error(`access-token signing key versions look like "v2", got "${version}"`);
    }

    // Retained in every stage like the signing keys it wraps: deleting it is a deliberate, scheduled act.
    this.wrappingKey = new Key(this, 'WrappingKey', {
      alias: `${props.aliasPrefix}/access-token-wrapping`,
      description: `Wraps the access-token signing keys (${props.stage})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // IAM grants Decrypt to the signing functions only; this makes it hold against any other grant in
    // the account too (an admin's kms:* on "*"): no principal but a token signer's role may Decrypt.
    // Key administration (the account root's statement) is untouched, so the key cannot be locked out.
    this.wrappingKey.addToResourcePolicy(new PolicyStatement({
      sid: 'OnlyTokenSignersMayDecrypt',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: {
        ArnNotLike: { 'aws:PrincipalArn': Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${TOKEN_SIGNER_ROLE_PREFIX(props.stage)}*` }) },
      },
    }));

    this.generator = new ServiceFunction(this, 'Generator', {
      name: 'access-token-key',
      functionsDir: DEFAULT_FUNCTIONS_DIR,
      description: 'Generates an access-token signing key pair at deploy (custom resource); the private key leaves it only wrapped by KMS',
      // One invocation per version and deploy; two let a rotation's two versions be created at once.
      reservedConcurrency: 2,
      timeout: Duration.seconds(30),
      logs: props.logs,
      logLevel: props.logLevel,
      whyNoDeadLetterQueue:
        'Invoked by CloudFormation for a custom resource, which waits for the answer the function PUTs to the presigned URL (always, also on failure): a failed request fails and rolls back the deployment, so there is nothing for a dead-letter queue to keep.',
    });
    this.generator.allow(wrapSigningKeys(this.wrappingKey));

    this.versions = versions.map((version) => {
      const resource = new CustomResource(this, `KeyPair${version.toUpperCase()}`, {
        serviceToken: this.generator.function.functionArn,
        resourceType: 'Custom::AccessTokenSigningKey',
        // A changed property makes a new key pair (a replacement): only the wrapping key can change it.
        properties: { Version: version, WrappingKeyArn: this.wrappingKey.keyArn },
      });
      // The custom resource must be answered before the function's role loses its grant on a stack update.
      resource.node.addDependency(this.generator.policy);
      return { version, publicJwk: resource.getAttString('PublicJwk'), wrappedKey: resource.getAttString('WrappedKey') };
    });
  }
}

/** The generator's one call: Encrypt on the wrapping key, only under the signing-key purpose. */
export function wrapSigningKeys(wrappingKey: IKey): PolicyStatement {
  return new PolicyStatement({
    sid: 'AccessTokenKeyWrap',
    effect: Effect.ALLOW,
    actions: ['kms:Encrypt'],
    resources: [wrappingKey.keyArn],
    conditions: { StringEquals: { 'kms:EncryptionContext:purpose': SIGNING_KEY_PURPOSE } },
  });
}
