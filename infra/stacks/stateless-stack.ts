import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { ApiFirewall } from '../constructs/api-firewall.js';
import type { LogSettings } from '../constructs/encrypted-log-group.js';
import {
  patientDataKeyGenerateOnly,
  patientTableItems,
  sendEmailFrom,
  tableKeyViaDynamoDb,
} from '../constructs/least-privilege.js';
import { PatientApi, type HttpMethod } from '../constructs/patient-api.js';
import { ServiceAlarms } from '../constructs/service-alarms.js';
import { ServiceFunction, SERVICE_NAME, type ServiceFunctionProps } from '../constructs/service-function.js';
import { DEFAULT_FUNCTIONS_DIR } from '../paths.js';

/** Typed wiring from the stateful stack: nothing is looked up by name. */
export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  readonly table: ITable;
  readonly tableKey: IKey;
  readonly patientDataKey: IKey;
  readonly observabilityKey: IKey;
  /** Where `<name>/handler.ts` entries live. @default functions/ in the repo */
  readonly functionsDir?: string;
}

type EndpointProps = Pick<ServiceFunctionProps, 'name' | 'description' | 'memorySize' | 'timeout' | 'environment'>;

export const ROUTES = {
  register: '/api/v1/patient/register',
  verifyEmail: '/api/v1/patient/verify-email',
} as const;

/** bcrypt cost; the application refuses anything below 12 (lib/config.ts). */
export const BCRYPT_ROUNDS = 12;

/**
 * register memory: bcrypt cost 12 is ~290 ms of pure single-threaded CPU on one full
 * core. Lambda allocates CPU in proportion to memory (1,769 MB = 1 vCPU), so 1,024 MB
 * (~0.58 vCPU) hashes in ~0.5 s. Per-GB-second pricing makes CPU-bound time cost the same
 * at any size up to 1 vCPU, but the ~100-200 ms spent waiting on DynamoDB, KMS and SES is
 * billed at the full size: 1,024 MB is the cheaper point with acceptable latency.
 * Beyond 1,769 MB nothing gets faster (bcryptjs uses one thread).
 */
export const REGISTER_MEMORY_MB = 1024;

/** API Gateway, Lambda functions, WAF, SES identity and alarms: everything that can be redeployed freely. */
export class StatelessStack extends Stack {
  readonly api: PatientApi;
  readonly alarms: ServiceAlarms;
  readonly functions: Record<string, ServiceFunction> = {};
  private readonly config: StageConfig;
  private readonly logs: LogSettings;
  private readonly functionsDir: string;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, table, tableKey, patientDataKey } = props;
    this.config = config;
    this.functionsDir = props.functionsDir ?? DEFAULT_FUNCTIONS_DIR;
    this.logs = {
      encryptionKey: props.observabilityKey,
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    };

    this.api = new PatientApi(this, 'Api', { stageName: config.stage, logs: this.logs, throttle: config.apiThrottle });
    new ApiFirewall(this, 'Firewall', {
      name: `${SERVICE_NAME}-${config.stage}`,
      stageArn: this.api.restApi.deploymentStage.stageArn,
      ratePerIp: config.wafRateLimitPerIp,
      logs: this.logs,
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', { topicKey: props.observabilityKey, alarmEmail: config.alarmEmail });
    this.alarms.watchApi(this.api.restApi);
    this.alarms.watchTable(table);

    const sender = new EmailIdentity(this, 'SenderIdentity', { identity: Identity.email(config.mailFrom) });
    const verifyUrlBase = config.verifyUrlBase ?? this.api.urlForPath(ROUTES.verifyEmail);
    // lib/config.ts reads all of these at every cold start, so each function calling it
    // gets them all. Values only: a key ARN in the environment grants nothing.
    const appEnvironment = {
      TABLE_NAME: table.tableName,
      KMS_KEY_ID: patientDataKey.keyArn,
      MAIL_FROM: config.mailFrom,
      VERIFY_URL_BASE: verifyUrlBase,
      BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
    };

    const register = this.addEndpoint('Register', 'POST', ROUTES.register, {
      name: 'register',
      description: 'POST /api/v1/patient/register',
      memorySize: REGISTER_MEMORY_MB,
      timeout: Duration.seconds(10),
      environment: appEnvironment,
      whyPublic: 'Patient self-registration: the caller has no account or credential yet.',
    });
    register.allow(patientTableItems(table, ['dynamodb:BatchGetItem', 'dynamodb:PutItem'], ['PATIENT#', 'EMAIL#', 'PHONE#', 'VERIFY#']));
    register.allow(tableKeyViaDynamoDb(tableKey));
    register.allow(patientDataKeyGenerateOnly(patientDataKey));
    register.allow(sendEmailFrom(sender.emailIdentityArn, config.mailFrom));

    const verifyEmail = this.addEndpoint('VerifyEmail', 'POST', ROUTES.verifyEmail, {
      name: 'verify-email',
      description: 'POST /api/v1/patient/verify-email',
      environment: appEnvironment,
      whyPublic: 'The single-use, expiring token from the email (only its hash is stored) is the credential.',
    });
    verifyEmail.allow(patientTableItems(table, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['VERIFY#', 'PATIENT#']));
    verifyEmail.allow(tableKeyViaDynamoDb(tableKey));

    // Renders the page whose button POSTs the token: no AWS calls, so no permissions.
    this.addEndpoint('VerifyEmailPage', 'GET', ROUTES.verifyEmail, {
      name: 'verify-email-page',
      description: 'GET /api/v1/patient/verify-email',
      whyPublic: 'Serves a static confirmation page reached from an email link; it reads nothing and consumes nothing.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the API stage' });
    new CfnOutput(this, 'VerifyUrlBase', { value: verifyUrlBase, description: 'Link base in verification emails' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }

  /**
   * A function, its route and its alarms in one call; permissions are added by the
   * caller with `.allow(...)`. Adding an endpoint is one `addEndpoint` line plus its grants.
   */
  addEndpoint(id: string, method: HttpMethod, path: string, props: EndpointProps & { whyPublic: string }): ServiceFunction {
    const { reservedConcurrency } = this.config;
    const { whyPublic, ...functionProps } = props;
    const fn = new ServiceFunction(this, id, {
      ...functionProps,
      functionsDir: this.functionsDir,
      reservedConcurrency: reservedConcurrency[props.name] ?? reservedConcurrency.default,
      logs: this.logs,
      logLevel: this.config.logLevel,
    });
    this.api.addPublicLambdaRoute(method, path, fn.function, whyPublic);
    this.alarms.watchFunction(id, fn.function);
    this.functions[props.name] = fn;
    return fn;
  }
}
