import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ServiceAlarmsProps {
  /** Encrypts the topic; its key policy must let cloudwatch.amazonaws.com use it. */
  readonly topicKey: IKey;
  readonly alarmEmail: string | undefined;
  /** CloudWatch namespace of the metrics this service derives from its own logs (one per stage). */
  readonly logMetricsNamespace: string;
}

const PERIOD = Duration.minutes(5);
/** Share of requests answered 5xx that pages someone. */
export const API_5XX_RATE_THRESHOLD = 0.05;

/**
 * Failed sign-ins (wrong password, unknown email, locked, unverified, inactive) per 5 minutes, across
 * every function that checks a password, that page someone. The per-IP WAF rule lets one address make
 * 20 attempts per 5 minutes, so 50 means several addresses at once (credential stuffing from a
 * botnet), or a fault that makes real patients fail; a patient mistyping is a handful.
 */
export const SIGN_IN_FAILURE_SPIKE_THRESHOLD = 50;

/**
 * Texts the outbox mailer failed to hand to End User Messaging SMS per 5 minutes that page someone.
 * One failure is a bad or opted-out number, or a throttle the outbox retries (nothing is lost: the
 * SMS stays in the outbox); five in five minutes means texts are not getting out at all: the monthly
 * spend limit reached, the origination identity suspended or unregistered, a sandbox account, or a
 * regional outage. Patients then cannot confirm their phone.
 */
export const SMS_SEND_FAILURE_THRESHOLD = 5;

/**
 * Completed password resets per 5 minutes that page someone. A clinic's patients reset a handful a
 * day; the per-IP WAF rule (20 credential requests per 5 minutes) keeps one address below this, so 20
 * means many addresses at once: mailboxes taken over at scale, a leaked batch of reset links, or a
 * mass "please reset" notice someone should have announced.
 */
export const PASSWORD_RESET_SPIKE_THRESHOLD = 20;

/** The log lines (lib/auth use cases, Powertools JSON) the log-derived metrics count. */
export const SIGN_IN_FAILURE_PATTERN = '{ $.message = "sign-in" && $.outcome = "failure" }';
export const REFRESH_TOKEN_REUSE_PATTERN = '{ $.message = "refresh token reuse" }';
/**
 * A failed text: any WARN/ERROR the outbox logs for a phone-code item (lib/outbox/deliver-mail.ts logs
 * every kind's failure under the item's `kind`: back in the outbox at WARN, given up at ERROR). Keyed
 * on kind and level, not on the wording, so a reworded message cannot silence it.
 */
export const SMS_SEND_FAILURE_PATTERN =
  '{ $.kind = "phone_code_sms" && ($.level = "WARN" || $.level = "ERROR") }';
/** lib/phone/sms-budget.ts logs each text a budget refused, naming the budget (service or country). */
export const smsBudgetExhaustedPattern = (budget: 'service' | 'country') =>
  `{ $.message = "sms budget exhausted" && $.budget = "${budget}" }`;
/** lib/password/reset-password.ts logs outcome "reset" for a completed reset (and the token's state otherwise). */
export const PASSWORD_RESET_SUCCESS_PATTERN = '{ $.message = "password reset" && $.outcome = "reset" }';

/** Operations the functions issue (a Put inside a transaction is metered as TransactWriteItems). */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.UPDATE_ITEM,
  Operation.PUT_ITEM,
  Operation.DELETE_ITEM,
  Operation.QUERY,
  Operation.TRANSACT_WRITE_ITEMS,
];

/** One encrypted SNS topic and the alarms that publish to it. */
export class ServiceAlarms extends Construct {
  readonly topic: Topic;
  private readonly action: SnsAction;
  private readonly logMetricsNamespace: string;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { masterKey: props.topicKey, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);
    this.logMetricsNamespace = props.logMetricsNamespace;
  }

  /** A spike of failed sign-ins, counted from the log groups of every function that checks a password. */
  watchSignInFailures(logGroups: Readonly<Record<string, ILogGroup>>): void {
    const metric = this.countLogLines('SignInFailures', SIGN_IN_FAILURE_PATTERN, logGroups);
    this.alarm('SignInFailureSpike', metric, SIGN_IN_FAILURE_SPIKE_THRESHOLD,
      `${SIGN_IN_FAILURE_SPIKE_THRESHOLD} or more failed sign-ins in ${PERIOD.toMinutes()} minutes: credential stuffing or a sign-in fault`);
  }

  /**
   * Any reuse of an already-rotated refresh token: either a stolen token was replayed or a client
   * raced itself. The family is revoked already; someone should look at which.
   */
  watchRefreshTokenReuse(logGroups: Readonly<Record<string, ILogGroup>>): void {
    const metric = this.countLogLines('RefreshTokenReuse', REFRESH_TOKEN_REUSE_PATTERN, logGroups);
    this.alarm('RefreshTokenReuse', metric, 1, 'A rotated refresh token was presented again (possible token theft); its session family was revoked');
  }

  /** Texts that could not be handed to End User Messaging SMS (the outbox keeps and retries them). */
  watchSmsSendFailures(logGroups: Readonly<Record<string, ILogGroup>>): void {
    const metric = this.countLogLines('SmsSendFailures', SMS_SEND_FAILURE_PATTERN, logGroups);
    this.alarm('SmsSendFailures', metric, SMS_SEND_FAILURE_THRESHOLD,
      `${SMS_SEND_FAILURE_THRESHOLD} or more SMS sends failed in ${PERIOD.toMinutes()} minutes: spend limit, origination identity, sandbox or an outage (texts stay in the outbox)`);
  }

  /**
   * One alarm per text budget (issue 19 item 16): any text refused because the day's service-wide or
   * a country's budget is spent. Either SMS pumping is under way (the budget did its job: look at
   * which country's counter, RATE#sms-budget#country#…, filled) or real patients outgrew the budget
   * (raise it in infra/config/stages.ts).
   */
  watchSmsBudgets(logGroups: Readonly<Record<string, ILogGroup>>): void {
    for (const budget of ['service', 'country'] as const) {
      const name = budget === 'service' ? 'SmsBudgetServiceExhausted' : 'SmsBudgetCountryExhausted';
      const metric = this.countLogLines(name, smsBudgetExhaustedPattern(budget), logGroups);
      this.alarm(name, metric, 1, budget === 'service'
        ? 'The day\'s service-wide SMS budget is spent: codes are refused (429) until midnight UTC. SMS pumping, or raise the budget'
        : 'A country\'s daily SMS budget is spent: codes to it are refused (429) until midnight UTC. SMS pumping toward it, or raise its budget');
    }
  }

  /** A spike of completed password resets: account takeover at scale, or a reset fault. */
  watchPasswordResets(logGroups: Readonly<Record<string, ILogGroup>>): void {
    const metric = this.countLogLines('PasswordResets', PASSWORD_RESET_SUCCESS_PATTERN, logGroups);
    this.alarm('PasswordResetSpike', metric, PASSWORD_RESET_SPIKE_THRESHOLD,
      `${PASSWORD_RESET_SPIKE_THRESHOLD} or more password resets in ${PERIOD.toMinutes()} minutes: account takeover at scale or a reset fault`);
  }

  /** One metric, fed by a filter on each (function name →) log group; no dimensions, so the filters add up. */
  private countLogLines(metricName: string, pattern: string, logGroups: Readonly<Record<string, ILogGroup>>): IMetric {
    for (const [name, logGroup] of Object.entries(logGroups)) {
      new MetricFilter(this, `${metricName}${name}Filter`, {
        logGroup,
        filterPattern: FilterPattern.literal(pattern),
        metricNamespace: this.logMetricsNamespace,
        metricName,
        metricValue: '1',
      });
    }
    return new Metric({ namespace: this.logMetricsNamespace, metricName, period: PERIOD, statistic: 'Sum' });
  }

  watchApi(api: RestApi): void {
    // Average of the 0/1 5XXError metric is the 5xx rate.
    this.alarm('Api5xxRate', api.metricServerError({ period: PERIOD, statistic: 'Average' }), API_5XX_RATE_THRESHOLD,
      `More than ${API_5XX_RATE_THRESHOLD * 100}% of API requests answered 5xx`);
  }

  watchFunction(name: string, fn: IFunction): void {
    this.alarm(`${name}Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, `${name} function errors`);
    this.alarm(`${name}Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 1,
      `${name} function throttled (reserved concurrency reached)`);
  }

  watchTable(name: string, table: ITable): void {
    const systemErrors = table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD });
    this.alarm(`${name}SystemErrors`, systemErrors, 1, `DynamoDB returned 5xx system errors on ${name}`);
    // A throttled request means the table met its on-demand maximum (40,000 units a second by default),
    // grew past what it had warmed up to, or one partition got more than its share (1,000 writes a
    // second): raise the quota or the warm throughput, or spread the hot key, before users see 503s
    // (infra/README.md, "Quota to raise for a target rate").
    const throttled = table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD });
    this.alarm(`${name}Throttled`, throttled, 1, `DynamoDB throttled requests on ${name}: its on-demand maximum, its warm throughput or one partition's share was met`);
  }

  /** Any message in a dead-letter queue means something gave up: an operator should look. */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    this.alarm(`${name}NotEmpty`, queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 1,
      `${name} holds messages: outbox delivery gave up on a stream batch or a sweep (mails stay in the outbox; runbook: infra/README.md, "The outbox mailer")`);
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string): void {
    new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    }).addAlarmAction(this.action);
  }
}
