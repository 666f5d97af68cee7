import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeRule } from '../compliance.js';
import { nativeBcryptHooks } from '../native-bcrypt.js';
import { handlerEntry, REPO_ROOT } from '../paths.js';
import { createEncryptedLogGroup, type LogSettings } from './encrypted-log-group.js';
import { FUNCTION_BUNDLING, FUNCTION_RUNTIME } from './function-bundling.js';

export { FUNCTION_RUNTIME } from './function-bundling.js';

export const SERVICE_NAME = 'patient-registration';

export interface ServiceFunctionProps {
  /** Folder under `functions/`; the entry is `functions/<name>/handler.ts`, export `handler`. */
  readonly name: string;
  readonly functionsDir: string;
  readonly description: string;
  readonly reservedConcurrency: number;
  readonly logs: LogSettings;
  readonly logLevel: string;
  /** @default 256 (MB) — I/O-bound handlers; see the register function for the bcrypt sizing. */
  readonly memorySize?: number;
  /**
   * No default: a timeout shorter than one SDK call's worst case turns a hung dependency into the
   * gateway's bare 5xx. API functions take theirs from the route table (lib/http/routes.ts).
   */
  readonly timeout: Duration;
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * For functions invoked asynchronously (e.g. by a schedule): where Lambda puts an event it
   * gave up on, and how hard it tries first. Omit for functions API Gateway invokes
   * synchronously, where a dead-letter queue would never receive anything.
   */
  readonly asyncInvocation?: {
    readonly deadLetterQueue: IQueue;
    readonly retryAttempts: number;
    readonly maxEventAge: Duration;
  };
}

/**
 * The one place Lambda defaults live: ESM bundle from the local esbuild (./function-bundling.ts), arm64, newest
 * Node runtime, source maps, X-Ray, JSON logs into an explicit KMS-encrypted log group.
 *
 * Permissions: one role per function with one customer-managed policy (HIPAA prefers
 * managed over inline policies) that starts with only "write to my log group" and
 * "send X-Ray traces"; callers add exactly what the handler's code calls via `allow()`.
 * The function sees the role through `withoutPolicyUpdates`, so CDK cannot add
 * statements behind our back.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly policy: ManagedPolicy;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = createEncryptedLogGroup(this, 'LogGroup', props.logs);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${SERVICE_NAME} ${props.name} function`,
    });
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `Least privilege for the ${props.name} function`,
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'WriteOwnLogGroup',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
        new PolicyStatement({
          sid: 'XRayTracing',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeRule(
      this.policy,
      'AwsSolutions-IAM5[Resource::*]',
      'Only the XRayTracing statement uses Resource "*": xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (AWS service authorization reference). Every other statement names its table, key, log group or SES identity.',
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.functionsDir, props.name),
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      ...(props.asyncInvocation && {
        deadLetterQueue: props.asyncInvocation.deadLetterQueue,
        retryAttempts: props.asyncInvocation.retryAttempts,
        maxEventAge: props.asyncInvocation.maxEventAge,
      }),
      role: this.role.withoutPolicyUpdates(),
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...props.environment,
      },
      bundling: {
        ...FUNCTION_BUNDLING,
        // A function given a bcrypt cost hashes passwords: it gets the native binding for arm64 beside
        // its bundle (bcryptjs, bundled, stays the fallback). infra/native-bcrypt.ts.
        ...(props.environment?.BCRYPT_ROUNDS !== undefined && { commandHooks: nativeBcryptHooks() }),
      },
    });
    // The policy must exist before the function is created and first invoked.
    this.function.node.addDependency(this.policy);
    if (!props.asyncInvocation) {
      acknowledgeRule(this.function, 'HIPAA.Security-LambdaDLQ',
        'Invoked synchronously by API Gateway only: a dead-letter queue applies to asynchronous invocations and would never receive anything. Failures reach the caller as 5xx and raise the Errors and API 5xx-rate alarms.');
    }
    acknowledgeRule(this.function, 'HIPAA.Security-LambdaInsideVPC',
      'The functions reach only AWS public service endpoints (DynamoDB, KMS, SES) over TLS with SigV4-signed, IAM-scoped requests and access no private network resources. A VPC would add NAT or interface endpoints (cost, cold-start ENIs) without narrowing what the functions can reach; revisit if a private resource is added.');
  }

  /** Adds IAM statements to this function's managed policy (the only way permissions are added). */
  allow(...statements: PolicyStatement[]): void {
    this.policy.addStatements(...statements);
  }
}
