import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  CfnRestApi,
  ContentHandling,
  EndpointAccessMode,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  MockIntegration,
  ResponseType,
  RestApi,
  SecurityPolicy,
  type IResource,
  type Method,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgeRule } from '../compliance.js';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS } from '../../lib/http/cors.js';
import { ALL_API_ROUTES, type HttpMethod } from '../../lib/http/routes.js';
import { createEncryptedLogGroup, type LogSettings } from './encrypted-log-group.js';


export interface PatientApiProps {
  /** Also the API Gateway stage name, so URLs read `/<stage>/api/v1/...` on the default endpoint. */
  readonly stageName: string;
  readonly logs: LogSettings;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Exact browser origins whose CORS preflight API Gateway answers (infra/config/stages.ts); empty: none. */
  readonly corsAllowedOrigins: readonly string[];
}

/**
 * Minimum TLS 1.2 (TLS 1.3 preferred) on the default execute-api endpoint. STRICT access
 * mode also rejects requests whose SNI does not match the Host header. The endpoint has
 * no plain-HTTP listener at all, so no `aws:SecureTransport` deny policy is needed.
 */
export const API_SECURITY_POLICY = SecurityPolicy.TLS13_1_2_PQ_2025_09;

/**
 * REST API (not HTTP API) because the public signup endpoint needs per-IP rate limiting
 * with a WAF rate-based rule, and WAF web ACLs attach to REST API stages only. Lambda
 * proxy integration: the handlers read only `body`, `headers` and `isBase64Encoded`; locally and in
 * the tests they get the same v1 event (lib/local/api-server.ts, test/support/requests.ts).
 */
export class PatientApi extends Construct {
  readonly restApi: RestApi;
  readonly stageName: string;
  private readonly corsAllowedOrigins: readonly string[];

  constructor(scope: Construct, id: string, props: PatientApiProps) {
    super(scope, id);
    this.stageName = props.stageName;
    this.corsAllowedOrigins = props.corsAllowedOrigins;
    const accessLogs = createEncryptedLogGroup(this, 'AccessLogs', props.logs);

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `patient-registration-${props.stageName}`,
      description: 'Patient registration API',
      endpointTypes: [EndpointType.REGIONAL],
      // Every body reaches the function as its raw bytes (base64, isBase64Encoded): API Gateway's own
      // text handling would replace bytes that are not UTF-8 before the handler could refuse them
      // (lib/http/body-guard.ts decodes strictly). Responses are unaffected: the functions answer
      // text with isBase64Encoded unset, which API Gateway passes through as is.
      binaryMediaTypes: ['*/*'],
      // The account-wide role that lets API Gateway write access/execution logs. Kept on
      // stack deletion: other stages in the same account/region rely on the same setting.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        // Execution logs on errors only, and never request/response data (PHI, passwords).
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
    });
    const cfnApi = this.restApi.node.defaultChild as CfnRestApi;
    cfnApi.securityPolicy = API_SECURITY_POLICY;
    cfnApi.endpointAccessMode = EndpointAccessMode.STRICT;

    // API Gateway would create this group itself, unencrypted and kept forever; owning it
    // gives it the stage's retention and the KMS key.
    const executionLogs = createEncryptedLogGroup(this, 'ExecutionLogs', props.logs, {
      logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${props.stageName}`,
    });
    this.restApi.deploymentStage.node.addDependency(executionLogs);
    this.addGatewayResponses();
    this.acknowledgeApiFindings();
  }

  /**
   * One public route (no authorizer), Lambda proxy integration. `whyPublic` is required
   * so every unauthenticated route states its compensating controls in the nag report.
   */
  addPublicLambdaRoute(method: HttpMethod, path: string, fn: IFunction, whyPublic: string): Method {
    // allowTestInvoke: false keeps the invoke permission to the deployed stage only.
    const integration = new LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
    const resource = this.restApi.root.resourceForPath(path);
    const routeMethod = resource.addMethod(method, integration);
    if (this.corsAllowedOrigins.length > 0 && !resource.node.tryFindChild('OPTIONS')) this.addCorsPreflight(resource, path);
    const reason = `${whyPublic} ${PUBLIC_ROUTE_CONTROLS}`;
    acknowledgeRule(routeMethod, 'AwsSolutions-APIG4', reason);
    acknowledgeRule(routeMethod, 'AwsSolutions-COG4', reason);
    return routeMethod;
  }

  /**
   * The CORS preflight of one path, answered by API Gateway itself (a mock integration, no function).
   * Not CDK's `addCorsPreflight`: with `binaryMediaTypes: ['*\/*']` a mock integration must convert
   * the request to text or API Gateway fails it with 500 ("Unable to transform request"), which that
   * helper cannot set; and it answers a refused origin with the first allowed one, where this answers
   * it without Access-Control-Allow-Origin at all, as lib/http/cors.ts does locally.
   */
  private addCorsPreflight(resource: IResource, path: string): Method {
    const methods = [...ALL_API_ROUTES.filter((r) => r.path === path).map((r) => r.method), 'OPTIONS'];
    const headers: Record<string, string> = {
      'Access-Control-Allow-Methods': `'${methods.join(', ')}'`,
      'Access-Control-Allow-Headers': `'${CORS_ALLOW_HEADERS.join(', ')}'`,
      'Access-Control-Max-Age': `'${CORS_MAX_AGE_SECONDS}'`,
      Vary: "'Origin'",
    };
    const header = (name: string) => `method.response.header.${name}`;
    const preflight = resource.addMethod('OPTIONS', new MockIntegration({
      contentHandling: ContentHandling.CONVERT_TO_TEXT,
      requestTemplates: { 'application/json': '{ "statusCode": 204 }' },
      integrationResponses: [{
        statusCode: '204',
        contentHandling: ContentHandling.CONVERT_TO_TEXT,
        responseParameters: Object.fromEntries(Object.entries(headers).map(([name, value]) => [header(name), value])),
        responseTemplates: { 'application/json': corsOriginTemplate(this.corsAllowedOrigins) },
      }],
    }), {
      methodResponses: [{
        statusCode: '204',
        responseParameters: Object.fromEntries([...Object.keys(headers), 'Access-Control-Allow-Origin'].map((name) => [header(name), true])),
      }],
    });
    acknowledgeRule(preflight, 'AwsSolutions-APIG4', CORS_PREFLIGHT_IS_PUBLIC);
    acknowledgeRule(preflight, 'AwsSolutions-COG4', CORS_PREFLIGHT_IS_PUBLIC);
    return preflight;
  }

  /**
   * Answers API Gateway gives without invoking a function (unknown route, throttling, WAF block,
   * oversized body, timeouts) in the service's own envelope and headers, so a client never
   * sees `{"message":"Missing Authentication Token"}` or an HTML-less bare 5xx.
   */
  private addGatewayResponses(): void {
    for (const [type, response] of GATEWAY_RESPONSES) {
      this.restApi.addGatewayResponse(`GatewayResponse${type.responseType}`, {
        type,
        ...(response.statusCode && { statusCode: response.statusCode }),
        responseHeaders: {
          ...GATEWAY_RESPONSE_HEADERS,
          ...gatewayCorsHeaders(this.corsAllowedOrigins),
          ...(response.retryAfterSeconds && { 'Retry-After': `'${response.retryAfterSeconds}'` }),
        },
        templates: { 'application/json': JSON.stringify({ success: false, message: response.message }) },
      });
    }
  }

  private acknowledgeApiFindings(): void {
    acknowledgeRule(this.restApi, 'AwsSolutions-APIG2',
      'Request bodies are validated inside each handler against the one JSON Schema that is the single source of truth for the request (lib/patient/registration-schema.ts) before any work is done; an API Gateway model would be a second copy that drifts and answers with a different error envelope.');
    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    acknowledgeRule(cloudWatchRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway assumes to write access and execution logs; AWS documents this managed policy for exactly that role and it grants only CloudWatch Logs actions. Assumable only by apigateway.amazonaws.com.');
    const stage = this.restApi.deploymentStage;
    acknowledgeRule(stage, 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      'Caching is deliberately off: every response is specific to one request (registration result, one-time token outcome) and a cache would only add a second store of patient data.');
    acknowledgeRule(stage, 'HIPAA.Security-APIGWSSLEnabled',
      'Stage client certificates authenticate API Gateway to HTTP backends. All integrations are Lambda proxy integrations invoked through the Lambda API with IAM (resource-based lambda:InvokeFunction permission scoped to this API), so there is no HTTP backend to present a certificate to.');
  }

  /**
   * Public URL of a path, built from the API id and the literal stage name. Functions'
   * environment can use it: referencing the Stage resource instead would create a cycle
   * (function → stage → deployment → method → function).
   */
  urlForPath(path: string): string {
    const stack = Stack.of(this);
    return `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${this.stageName}${path}`;
  }
}

/** The headers every answer of the service carries (lib/http), as gateway-response literals. */
export const GATEWAY_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': "'application/json; charset=utf-8'",
  'X-Content-Type-Options': "'nosniff'",
  'Strict-Transport-Security': "'max-age=15552000; includeSubDomains'",
  'Cache-Control': "'no-store'",
};

/**
 * CORS headers of the answers API Gateway gives itself (413, 429, WAF 403, …): without them a browser
 * front end sees an opaque network error instead of the envelope. A gateway response cannot run the
 * preflight's allow-list template, so one allowed origin is named literally and several are answered
 * by echoing the caller's `Origin`: these answers carry no data (a fixed message), and credentials are
 * never allowed, so echoing reveals nothing a listed origin could not read. None allowed (prod by
 * default): no header, as everywhere else.
 */
export function gatewayCorsHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  if (allowedOrigins.length === 0) return {};
  return {
    'Access-Control-Allow-Origin': allowedOrigins.length === 1 ? `'${allowedOrigins[0]}'` : 'method.request.header.Origin',
    Vary: "'Origin'",
  };
}

interface GatewayAnswer {
  /** Omitted: API Gateway keeps the status of the error it is answering (DEFAULT_4XX). */
  readonly statusCode?: string;
  readonly message: string;
  readonly retryAfterSeconds?: number;
}

/**
 * REST APIs answer an unknown route or method with MISSING_AUTHENTICATION_TOKEN (403): it is a
 * 404 here, as it is locally. DEFAULT_5XX never carries detail (as the handlers' own 500).
 */
export const GATEWAY_RESPONSES: readonly (readonly [ResponseType, GatewayAnswer])[] = [
  [ResponseType.MISSING_AUTHENTICATION_TOKEN, { statusCode: '404', message: 'Not found' }],
  [ResponseType.THROTTLED, { statusCode: '429', message: 'Too many requests. Please try again later.', retryAfterSeconds: 5 }],
  [ResponseType.WAF_FILTERED, { statusCode: '403', message: 'Forbidden' }],
  [ResponseType.REQUEST_TOO_LARGE, { statusCode: '413', message: 'Request body too large' }],
  [ResponseType.INTEGRATION_TIMEOUT, { statusCode: '504', message: 'The service did not answer in time. Please retry shortly.', retryAfterSeconds: 5 }],
  [ResponseType.DEFAULT_4XX, { message: 'Bad request' }],
  [ResponseType.DEFAULT_5XX, { message: 'Internal server error' }],
];

const CORS_PREFLIGHT_IS_PUBLIC =
  'The CORS preflight (OPTIONS) is answered by API Gateway itself from a mock integration: browsers send it without credentials by design, it invokes no function and returns only the allowed methods and headers, and the allowed origin only when it is one of the stage\'s.';

/**
 * VTL for the preflight's answer: echo the request's Origin only when it is exactly one of `origins`
 * (the header's spelling varies by client; API Gateway's map is case-sensitive).
 */
export function corsOriginTemplate(origins: readonly string[]): string {
  const condition = origins.map((o) => `$origin == "${o}"`).join(' || ');
  return [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if("$!origin" == "")#set($origin = $input.params().header.get("origin"))#end',
    `#if(${condition})`,
    '#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
  ].join('\n');
}

const PUBLIC_ROUTE_CONTROLS =
  'Compensating controls: WAF per-IP rate-based rule and AWS managed rule groups, stage throttling, reserved concurrency and JSON Schema validation in the handler.';

/** JSON access log: who, what, outcome, latency. No bodies, no query strings (verification tokens). */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      sourceIp: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      protocol: AccessLogField.contextProtocol(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      wafStatus: AccessLogField.contextWafStatus(),
      errorMessage: AccessLogField.contextErrorMessage(),
      errorType: AccessLogField.contextErrorResponseType(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}
