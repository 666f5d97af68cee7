import { Stack, ArnFormat, type Duration } from 'aws-cdk-lib';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { createEncryptedLogGroup, type LogSettings } from './encrypted-log-group.js';

export interface ApiFirewallProps {
  readonly name: string;
  /** ARN of the API Gateway REST API stage to protect. */
  readonly stageArn: string;
  readonly ratePerIp: { readonly limit: number; readonly window: Duration };
  readonly logs: LogSettings;
}

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

const managedRuleGroup = (name: string, priority: number): CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
  visibilityConfig: visibility(name),
});

/**
 * Regional WAF on the API stage. The per-IP rate-based rule is the reason for choosing a
 * REST API: it caps how many registrations (each a ~0.5 s bcrypt hash) one client can
 * trigger, before API Gateway or Lambda are billed for it.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.name),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.ratePerIp.limit,
              evaluationWindowSec: props.ratePerIp.window.toSeconds(),
            },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        managedRuleGroup('AWSManagedRulesAmazonIpReputationList', 1),
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 2),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 3),
      ],
    });

    new CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF requires the `aws-waf-logs-` prefix. The query string is redacted because the
    // verify-email page receives the one-time token there.
    const logGroupName = `aws-waf-logs-${props.name}`;
    const logGroup = createEncryptedLogGroup(this, 'Logs', props.logs, { logGroupName });
    const logging = new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ queryString: {} }],
    });
    logging.node.addDependency(logGroup);
  }
}
