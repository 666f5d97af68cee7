import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigNeed } from '../../lib/config.js';
import { handlerEntry, DEFAULT_FUNCTIONS_DIR } from '../../infra/paths.js';
import { environmentOf } from './policies.js';
import { removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

/**
 * What each handler asks of lib/config.ts, read from its own source: `loadConfig(process.env, [needs])`
 * at module scope. Undefined: the handler reads no configuration (health).
 */
function needsOf(functionName: string): ConfigNeed[] | undefined {
  const source = readFileSync(handlerEntry(DEFAULT_FUNCTIONS_DIR, functionName), 'utf8');
  const call = /loadConfig\(process\.env(?:,\s*\[([^\]]*)\])?\)/.exec(source);
  if (!call) return undefined;
  return [...(call[1] ?? '').matchAll(/'([\w-]+)'/g)].map((m) => m[1] as ConfigNeed);
}

/**
 * What an unresolved value becomes at deploy, where an https URL would not do: the published keys are
 * a JWKS around the generated key pair's public JWK (infra/constructs/access-token-keys.ts).
 */
const RESOLVED: Record<string, () => string> = {
  ACCESS_TOKEN_PUBLIC_KEYS: () => JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'v1-thumbprint' }] }),
};

/**
 * The synthesized environment as the function will see it: CloudFormation resolves references to
 * strings (a table name, a key ARN, a URL), so each unresolved value stands in as an https URL, which
 * every setting accepts (or as RESOLVED says). Plus what Lambda itself sets.
 */
function deployedEnvironment(stage: SynthesizedStage, fn: string): Record<string, string> {
  const variables = Object.fromEntries(
    Object.entries(environmentOf(stage, fn)).map(([name, value]) =>
      [name, typeof value === 'string' ? value : RESOLVED[name]?.() ?? `https://resolved.invalid/${name}`]),
  );
  return { ...variables, AWS_REGION: stage.config.region, AWS_LAMBDA_FUNCTION_NAME: fn };
}

/**
 * The cold start each deployed function will have: the real lib/config.ts over the synthesized
 * environment, with the needs its handler names. A template test listing variables by hand once missed
 * that lib/config.ts requires AUDIT_TABLE_NAME of every function (register, resend and the mailer would
 * not have started in AWS); this one cannot drift from either side.
 */
describe('every deployed function starts with the environment the stack gives it', { timeout: 120_000 }, () => {
  let dev: SynthesizedStage;
  beforeAll(() => {
    dev = synthStage('dev');
  }, 120_000);
  afterAll(removeSynthOutputs);

  const functionsOf = () => Object.entries(dev.stateless.functions).map(([name, fn]) => ({ name, id: fn.node.id }));

  it('finds a handler for every function, and the configuration calls of the real ones', () => {
    const names = functionsOf().map((f) => f.name);
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const name of names) expect(existsSync(handlerEntry(DEFAULT_FUNCTIONS_DIR, name)), name).toBe(true);
    // The parser reads the calls of issue 10's handlers (a regex that found nothing would pass every check below).
    expect(needsOf('register')).toEqual(['encryption', 'mail', 'identifiers']);
    expect(needsOf('outbox-mailer')).toEqual(expect.arrayContaining(['mail', 'identifiers']));
    // The link pages read the table (a link's state) and need nothing beyond it.
    expect(needsOf('verify-email-page')).toEqual([]);
  });

  it('loads lib/config.ts outside local mode without a missing or invalid setting, for each function', () => {
    const failures: string[] = [];
    let checked = 0;
    for (const { name, id } of functionsOf()) {
      const needs = needsOf(name);
      if (needs === undefined) continue;
      checked++;
      try {
        loadConfig(deployedEnvironment(dev, id), needs);
      } catch (error) {
        failures.push(`${id} (${path.join('functions', name)}, needs ${JSON.stringify(needs)}): ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
