import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveStageConfig, type StageConfig } from '../../infra/config/stages.js';
import { StatefulStack } from '../../infra/stacks/stateful-stack.js';
import { StatelessStack, statefulResourcesOf } from '../../infra/stacks/stateless-stack.js';
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

describe('access-token signing key rotation (new key pair, the old one published for verifying only)', { timeout: 120_000 }, () => {
  it('v2 first: v2 signs (its wrapped key), both public keys are published, v2 first', () => {
    const { stateful, stateful_t, stateless_t } = stacksWith(['v2', 'v1']);
    const pairs = Object.keys(stateful_t.findResources('Custom::AccessTokenSigningKey')).sort();
    expect(pairs).toEqual([expect.stringMatching(/KeyPairV1/), expect.stringMatching(/KeyPairV2/)]);
    expect(stateful.accessTokenKeys.versions.map((v) => v.version)).toEqual(['v2', 'v1']);

    const resources = stateless_t.toJSON().Resources;
    const envOf = (fn: string) => resources[logicalIdAt(stateless_t, 'AWS::Lambda::Function', `${fn}/Function`)].Properties.Environment.Variables;
    for (const fn of ['Login', 'TokenRefresh', 'VerifyEmail']) {
      const env = envOf(fn);
      expect(JSON.stringify(env.ACCESS_TOKEN_SIGNING_KEY), fn).toMatch(/KeyPairV2/);
      expect(JSON.stringify(env.ACCESS_TOKEN_SIGNING_KEY), fn).not.toMatch(/KeyPairV1/);
    }
    for (const fn of ['Login', 'TokenRefresh', 'VerifyEmail', 'Logout', 'Me', 'Jwks']) {
      const published = JSON.stringify(envOf(fn).ACCESS_TOKEN_PUBLIC_KEYS);
      const [v2, v1] = [published.search(/KeyPairV2\w*PublicJwk/), published.search(/KeyPairV1\w*PublicJwk/)];
      expect(v2, fn).toBeGreaterThan(-1);
      expect(v1, fn).toBeGreaterThan(v2);
    }
    for (const fn of ['Logout', 'Me', 'Jwks']) expect(envOf(fn).ACCESS_TOKEN_SIGNING_KEY, fn).toBeUndefined();
  });

  it.each([[[]], [['v1', 'v1']], [['key-2']]])('refuses versions %j', (versions) => {
    expect(() => stacksWith(versions)).toThrow(/accessTokenSigningKeyVersions|versions look like/);
  });
});
