import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 runs as a policy-validation plugin on every synth: any finding that is not
 * acknowledged fails the synth, and all findings land in cdk.out/validation-report.json.
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new HIPAASecurityChecks(app, { verbose: true }));
}

/**
 * Validation ids are namespaced by plugin (`AwsSolutions::AwsSolutions-APIG4`); an id
 * without a namespace would only match construct annotations, never a cdk-nag finding.
 */
export function qualifiedRuleId(ruleId: string): string {
  const pack = ruleId.startsWith('HIPAA.Security-') ? 'HIPAA.Security' : ruleId.split('-')[0];
  return `${pack}::${ruleId}`;
}

/** One acknowledged cdk-nag rule on one construct (and its children), with the reason a reviewer reads. */
export function acknowledgeRule(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: qualifiedRuleId(ruleId), reason });
}
