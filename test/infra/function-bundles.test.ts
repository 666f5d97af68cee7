import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceFunction } from '../../infra/constructs/service-function.js';
import { DEFAULT_FUNCTIONS_DIR } from '../../infra/paths.js';
import { FUNCTION_VALIDATORS } from '../../lib/tools/generate-validators.js';
import { buildBundles, functionNames, type BuiltBundle } from '../bench/bundle.js';
import { CDK_JSON_CONTEXT } from './synth.js';

/**
 * What each function's deployed bundle may contain, judged on esbuild's metafile of the bundle built
 * with the deployed settings (infra/constructs/function-bundling.ts), the same bytes CDK ships.
 */
const PASSWORD_LIST = 'lib/patient/common-passwords.ts';
const PHONE_METADATA = 'lib/patient/phone-metadata.ts';

/** The functions whose requests choose a new password (the password rules and their list). */
const CHOOSE_A_PASSWORD = ['register', 'password-reset', 'password-change'];
/**
 * The functions that normalize a phone number in the request, or place a stored one in its country
 * for the text budgets, or an emergency contact's in a corrected record, or a new number (libphonenumber-js).
 * The outbox mailer places a claimed number in its country for the text budgets (issue 19 item 4).
 */
const NORMALIZE_A_PHONE = ['register', 'phone-verification', 'me-update', 'me-phone', 'phone-claim', 'outbox-mailer'];

const includes = (bundle: BuiltBundle, predicate: (input: string) => boolean) => Object.keys(bundle.inputs).filter(predicate);
const fromPackage = (name: string) => (input: string) => input.includes(`node_modules/${name}/`);

describe('function bundles (esbuild metafiles, deployed settings)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'function-bundles-'));
  let bundles: Record<string, BuiltBundle>;
  beforeAll(async () => {
    bundles = Object.fromEntries((await buildBundles(dir)).map((bundle) => [bundle.name, bundle]));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are built for every function', async () => {
    expect(Object.keys(bundles).sort()).toEqual(await functionNames());
  });

  it('carry the common-password list only where a password is chosen', () => {
    for (const [name, bundle] of Object.entries(bundles)) {
      expect(includes(bundle, (input) => input === PASSWORD_LIST).length > 0, name).toBe(CHOOSE_A_PASSWORD.includes(name));
    }
  });

  it('carry libphonenumber-js and its metadata only where a phone number is normalized', () => {
    for (const [name, bundle] of Object.entries(bundles)) {
      expect(includes(bundle, (input) => input === PHONE_METADATA).length > 0, name).toBe(NORMALIZE_A_PHONE.includes(name));
      if (!NORMALIZE_A_PHONE.includes(name)) expect(includes(bundle, fromPackage('libphonenumber-js')), name).toEqual([]);
      // The package's own copy, an 80 KB object literal: the packed one above stands in for it.
      expect(includes(bundle, (input) => input.endsWith('libphonenumber-js/metadata.min.json.js')), name).toEqual([]);
    }
  });

  it('carry the registration validator only in register, postcode patterns only where an address is judged', () => {
    for (const [name, bundle] of Object.entries(bundles)) {
      if (name === 'register') continue;
      expect(includes(bundle, (input) => input === 'lib/patient/generated/register.js'), name).toEqual([]);
      // PATCH /me judges a corrected address by the registration's postal-code rule.
      if (name !== 'me-update') expect(includes(bundle, fromPackage('postcode-validator')), name).toEqual([]);
    }
    expect(includes(bundles.register!, fromPackage('postcode-validator')).length).toBeGreaterThan(0);
  });

  it('never carry ajv-formats: the one format used by function (date) has a run-time copy', () => {
    for (const [name, bundle] of Object.entries(bundles)) expect(includes(bundle, fromPackage('ajv-formats')), name).toEqual([]);
  });

  it('carry only their own generated validator module, and never ajv\'s compiler', () => {
    for (const [name, bundle] of Object.entries(bundles)) {
      const own = name in FUNCTION_VALIDATORS ? [`lib/patient/generated/${name}.js`] : [];
      expect(includes(bundle, (input) => input.startsWith('lib/patient/generated/')), name).toEqual(own);
      expect(includes(bundle, (input) => /node_modules\/ajv\/dist\/(core|compile|vocabularies)\b/.test(input)), name).toEqual([]);
    }
  });

  it('never carry the keyword list that loads every keyword, nor the schema compiler setup', () => {
    for (const [name, bundle] of Object.entries(bundles)) {
      expect(includes(bundle, (input) => input === 'lib/patient/validation-keywords.ts' || input === 'lib/validation/ajv.ts'), name).toEqual([]);
    }
  });
});

describe('the bench builds what CDK deploys', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'function-bundles-cdk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('CDK\'s bundle of a function is byte for byte the in-process build from the same settings', async () => {
    // One function is enough: every function gets the same bundling settings, only the entry differs.
    const app = new App({ outdir: path.join(dir, 'cdk.out'), context: { ...CDK_JSON_CONTEXT, 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Bundling');
    const encryptionKey = new Key(stack, 'Key');
    new ServiceFunction(stack, 'Register', {
      name: 'register',
      functionsDir: DEFAULT_FUNCTIONS_DIR,
      description: 'bundling check',
      reservedConcurrency: 1,
      logs: { encryptionKey, retention: RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY },
      logLevel: 'INFO',
      timeout: Duration.seconds(3),
    });
    const assembly = app.synth();
    const resources = assembly.getStackByName('Bundling').template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>;
    const [assetPath] = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Metadata?.['aws:asset:path']);
    expect(assetPath).toBeDefined();

    const [ours] = await buildBundles(path.join(dir, 'ours'), ['register']);
    const deployed = readFileSync(path.join(assembly.directory, assetPath!, 'index.mjs'));
    expect(deployed.length).toBe(ours!.bytes);
    expect(deployed.equals(readFileSync(ours!.file))).toBe(true);
  });
});
