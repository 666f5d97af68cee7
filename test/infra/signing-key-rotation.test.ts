import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveStageConfig, type StageConfig } from '../../infra/config/stages.js';
import { StatefulStack } from '../../infra/stacks/stateful-stack.js';
import { StatelessStack, statefulResourcesOf } from '../../infra/stacks/stateless-stack.js';
import { label, type Statement } from './policies.js';
import { CDK_JSON_CONTEXT, logicalIdAt } from './synth.js';

/** Both stacks of dev with the signing-key versions of a rotation under way (as stages.ts would list them). */
function stacksWith(accessTokenSigningKeyVersions: readonly string[]) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const config: StageConfig = { ...resolveStageConfig(() => undefined, {}), accessTokenSigningKeyVersions };
  const env = { account: config.account, region: config.region };
  const stateful = new StatefulStack(app, 'Stateful', { env, config });
  const stateless = new StatelessStack(app, 'Stateless', {
    env,
    config,
    ...statefulResourcesOf(stateful),
  });
  return { stateful, stateful_t: Template.fromStack(stateful), stateless_t: Template.fromStack(stateless) };
}

describe('access-token signing key rotation (new key, old one verify-only)', { timeout: 120_000 }, () => {
  it('v2 first: v2 signs, v1 stays (retained) and only verifies, the alias moves to v2', () => {
    const { stateful, stateful_t, stateless_t } = stacksWith(['v2', 'v1']);
    const keyIds = Object.entries(stateful_t.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'ECC_NIST_P256' } }));
    expect(keyIds.map(([id]) => id).sort()).toEqual([expect.stringMatching(/^AccessTokenSigningKeyV1/), expect.stringMatching(/^AccessTokenSigningKeyV2/)]);
    for (const [, key] of keyIds) expect(key.DeletionPolicy).toBe('Retain');
    const v2 = stateful.getLogicalId(stateful.accessTokenSigningKey.node.defaultChild as never);
    expect(v2).toMatch(/^AccessTokenSigningKeyV2/);
    stateful_t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/patient-registration/dev/access-token', TargetKeyId: { 'Fn::GetAtt': [v2, 'Arn'] } });

    const resources = stateless_t.toJSON().Resources;
    const env = resources[logicalIdAt(stateless_t, 'AWS::Lambda::Function', 'Login/Function')].Properties.Environment.Variables;
    expect(JSON.stringify(env.ACCESS_TOKEN_SIGNING_KEY_ID)).toMatch(/AccessTokenSigningKeyV2/);
    expect(JSON.stringify(env.ACCESS_TOKEN_RETIRED_KEY_IDS)).toMatch(/AccessTokenSigningKeyV1/);
    expect(JSON.stringify(env.ACCESS_TOKEN_RETIRED_KEY_IDS)).not.toMatch(/AccessTokenSigningKeyV2/);

    const statements = (fn: string): Statement[] =>
      resources[logicalIdAt(stateless_t, 'AWS::IAM::ManagedPolicy', `${fn}/Policy`)].Properties.PolicyDocument.Statement;
    for (const fn of ['Login', 'TokenRefresh', 'VerifyEmail', 'Logout', 'Me', 'MeUpdate']) {
      const getPublicKey = statements(fn).find((s) => s.Sid === 'AccessTokenGetPublicKey')!;
      expect(label(getPublicKey.Resource, fn).split(', ').sort(), fn).toEqual(['signing key v1', 'signing key v2']);
      const sign = statements(fn).find((s) => s.Sid === 'AccessTokenSign');
      if (sign) expect(label(sign.Resource, fn), fn).toBe('signing key v2');
    }
  });

  it.each([[[]], [['v1', 'v1']], [['key-2']]])('refuses versions %j', (versions) => {
    expect(() => stacksWith(versions)).toThrow(/accessTokenSigningKeyVersions|versions look like/);
  });
});
