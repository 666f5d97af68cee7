import { Stack, ArnFormat, type Duration } from 'aws-cdk-lib';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { createEncryptedLogGroup, type LogSettings } from './encrypted-log-group.js';
import { GATEWAY_RESPONSE_HEADERS } from './patient-api.js';

type RateLimit = { readonly limit: number; readonly window: Duration };

export interface ApiFirewallProps {
  readonly name: string;
  /** ARN of the API Gateway REST API stage to protect. */
  readonly stageArn: string;
  readonly ratePerIp: RateLimit;
  /**
   * The tighter per-IP limit on POSTs that check a credential (sign-in, email verification, password
   * reset and change, the SMS code) or mail a reset link on request (forgot password).
   */
  readonly signInRatePerIp: RateLimit;
  /** API paths (as in lib/http/routes.ts, without the stage prefix) whose POSTs `signInRatePerIp` limits. */
  readonly signInPaths: readonly string[];
  readonly logs: LogSettings;
}

/** Both rate rules answer like the API's own throttling: 429 in the service envelope, with its headers. */
export const RATE_LIMITED_BODY_KEY = 'RateLimited';
export const RATE_LIMITED_MESSAGE = 'Too many requests. Please try again later.';

const regexEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The URI path WAF sees: on the default execute-api endpoint it starts with `/<stage>`, on a custom
 * domain it does not, so one optional leading segment; a trailing slash reaches the same resource.
 * Matched after URL-decoding and path normalisation, so `/login/`, `//login` or `%6Cogin` do not escape.
 */
export function signInPathRegex(paths: readonly string[]): string {
  return `^(/[^/]+)?(${paths.map(regexEscape).join('|')})/?$`;
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
 * A block that answers 429 with the service's headers. A WAF custom response replaces API Gateway's
 * (WAF_FILTERED) answer entirely, so the headers every answer carries are repeated here; WAF sets
 * Content-Type from the body's content type itself. Retry-After: the rule's window, after which the
 * address's count has certainly fallen below the limit again.
 */
function rateLimited(rate: RateLimit): CfnWebACL.RuleActionProperty {
  return {
    block: {
      customResponse: {
        responseCode: 429,
        customResponseBodyKey: RATE_LIMITED_BODY_KEY,
        responseHeaders: [
          ...Object.entries(GATEWAY_RESPONSE_HEADERS)
            .filter(([name]) => name.toLowerCase() !== 'content-type')
            .map(([name, quoted]) => ({ name, value: quoted.replace(/^'|'$/g, '') })),
          { name: 'Retry-After', value: String(rate.window.toSeconds()) },
        ],
      },
    },
  };
}

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
      customResponseBodies: {
        [RATE_LIMITED_BODY_KEY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ success: false, message: RATE_LIMITED_MESSAGE }),
        },
      },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: rateLimited(props.ratePerIp),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.ratePerIp.limit,
              evaluationWindowSec: props.ratePerIp.window.toSeconds(),
            },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        {
          // Password, reset-token and SMS-code guessing from one address across many accounts, and
          // reset-mail flooding; the per-account lock (lib/auth/lockout-policy.ts), the per-address
          // forgot limit and the per-code tries cover many addresses against one account.
          name: 'SignInRateLimitPerIp',
          priority: 1,
          action: rateLimited(props.signInRatePerIp),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.signInRatePerIp.limit,
              evaluationWindowSec: props.signInRatePerIp.window.toSeconds(),
              // Only matching requests are counted, and only they are blocked.
              scopeDownStatement: {
                andStatement: {
                  statements: [
                    {
                      byteMatchStatement: {
                        fieldToMatch: { method: {} },
                        positionalConstraint: 'EXACTLY',
                        searchString: 'POST',
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                    {
                      regexMatchStatement: {
                        fieldToMatch: { uriPath: {} },
                        regexString: signInPathRegex(props.signInPaths),
                        textTransformations: [
                          { priority: 0, type: 'URL_DECODE' },
                          { priority: 1, type: 'NORMALIZE_PATH' },
                        ],
                      },
                    },
                  ],
                },
              },
            },
          },
          visibilityConfig: visibility('SignInRateLimitPerIp'),
        },
        managedRuleGroup('AWSManagedRulesAmazonIpReputationList', 2),
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 3),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 4),
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
