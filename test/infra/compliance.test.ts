import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qualifiedRuleId } from '../../infra/compliance.js';
import { ALL_API_ROUTES } from '../../lib/http/routes.js';
import { resourcesOfType, removeSynthOutputs, synthStage, type SynthesizedStage } from './synth.js';

const unacknowledged = (stage: SynthesizedStage) =>
  stage.report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${plugin.pluginName} ${v.ruleName} ${c.constructPath}`)),
  );

// Thirty functions bundled by esbuild, then three synths: minutes on the shared 2-core machine under load.
describe('cdk-nag (AwsSolutions + HIPAA Security) on a full synth with bundling', { timeout: 300_000 }, () => {
  let dev: SynthesizedStage;
  let staging: SynthesizedStage;
  let prod: SynthesizedStage;
  beforeAll(() => {
    dev = synthStage('dev', { bundle: true });
    staging = synthStage('staging');
    prod = synthStage('prod');
  }, 300_000);
  afterAll(removeSynthOutputs);

  it('runs both rule packs on every synth', () => {
    expect(dev.report.pluginReports.map((p) => p.pluginName).sort()).toEqual(['AwsSolutions', 'HIPAA.Security']);
  });

  it('leaves zero unacknowledged findings in dev, staging and prod', () => {
    for (const stage of [dev, staging, prod]) {
      expect(unacknowledged(stage)).toEqual([]);
      for (const plugin of stage.report.pluginReports) expect(plugin.conclusion).toBe('success');
    }
  });

  it('acknowledges the Lambda DLQ rule only for API-invoked functions and the deploy-time key generator: the outbox mailer has a real dead-letter queue', () => {
    const acknowledgedDlq = dev.app.node
      .findAll()
      .filter((c) =>
        c.node.metadata.some((m) => m.type === 'aws:cdk:acknowledged-rules' && 'HIPAA.Security::HIPAA.Security-LambdaDLQ' in (m.data as object)),
      )
      .map((c) => c.node.path.split('/')[1]);
    expect(acknowledgedDlq.sort()).toEqual([
      'AccessTokenKeys', 'Health', 'Jwks', 'Login', 'LoginMfa', 'Logout', 'Me', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MeEmailConfirmPage', 'MeExport', 'MePhone', 'MePhoneVerify', 'MeSessionEnd', 'MeSessions', 'MeSessionsRevokeOthers', 'MeTotp', 'MeTotpConfirm', 'MeTotpRemove', 'MeUpdate', 'PasskeyEnrol', 'PasskeyEnrolOptions', 'PasskeyEnrolPage', 'PasskeyList', 'PasskeyLogin', 'PasskeyLoginOptions', 'PasskeyRemove', 'PasskeySignInPage', 'PasswordChange', 'PasswordForgot', 'PasswordReset', 'PasswordResetPage', 'PhoneClaim', 'PhoneVerification', 'PhoneVerify', 'Register', 'ResendVerification', 'TokenRefresh', 'VerifyEmail', 'VerifyEmailPage',
    ]);
  });

  it('every acknowledgement is namespaced to its pack and carries a real reason', () => {
    const acknowledged = dev.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/^(AwsSolutions|HIPAA\.Security)::/);
      expect(reason.length).toBeGreaterThan(60);
    }
  });

  it('namespaces rule ids the way the validation framework matches them', () => {
    expect(qualifiedRuleId('AwsSolutions-APIG4')).toBe('AwsSolutions::AwsSolutions-APIG4');
    expect(qualifiedRuleId('HIPAA.Security-LambdaDLQ')).toBe('HIPAA.Security::HIPAA.Security-LambdaDLQ');
    expect(qualifiedRuleId('AwsSolutions-IAM5[Resource::*]')).toBe('AwsSolutions::AwsSolutions-IAM5[Resource::*]');
  });

  it('bundles each function as minified ESM (.mjs) with a require shim and a source map, SDK included', () => {
    const functions = Object.values(resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Function'));
    // One per API route, and the outbox mailer.
    expect(functions).toHaveLength(new Set(ALL_API_ROUTES.map((r) => r.functionName)).size + 1);
    for (const fn of functions) {
      const assetDir = path.join(dev.assembly.directory, fn.Metadata?.['aws:asset:path']);
      const hashes = fn.Properties?.Environment?.Variables?.BCRYPT_ROUNDS !== undefined; // + the native bcrypt binding
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', ...(hashes ? ['node_modules'] : [])]);
      const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//); // bundled, not resolved from the runtime
    }
  });

  it('ships the arm64 native bcrypt binding beside the bundle of exactly the functions that hash passwords', () => {
    const withBinding = Object.entries(resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Function'))
      .filter(([, fn]) => existsSync(path.join(dev.assembly.directory, fn.Metadata?.['aws:asset:path'], 'node_modules')))
      .map(([, fn]) => {
        const dir = path.join(dev.assembly.directory, fn.Metadata?.['aws:asset:path'], 'node_modules', '@node-rs', 'bcrypt-linux-arm64-gnu');
        const binary = readFileSync(path.join(dir, 'bcrypt.linux-arm64-gnu.node'));
        expect(binary.readUInt16LE(18)).toBe(183); // ELF e_machine: AArch64
        return String(fn.Metadata?.['aws:cdk:path']).split('/')[1];
      });
    expect(withBinding.sort()).toEqual(['Login', 'MeClose', 'MeEmail', 'MeEmailConfirm', 'MePhone', 'PasswordChange', 'PasswordReset', 'Register', 'VerifyEmail']);
  });
});
