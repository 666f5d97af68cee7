import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ServiceAlarmsProps {
  /** Encrypts the topic; its key policy must let cloudwatch.amazonaws.com use it. */
  readonly topicKey: IKey;
  readonly alarmEmail: string | undefined;
}

const PERIOD = Duration.minutes(5);
/** Share of requests answered 5xx that pages someone. */
export const API_5XX_RATE_THRESHOLD = 0.05;

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

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { masterKey: props.topicKey, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);
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

  watchTable(table: ITable): void {
    const systemErrors = table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD });
    this.alarm('TableSystemErrors', systemErrors, 1, 'DynamoDB returned 5xx system errors');
  }

  /** Any message in a dead-letter queue means something gave up: an operator should look. */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    this.alarm(`${name}NotEmpty`, queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 1,
      `${name} holds messages: outbox delivery gave up on a stream batch or a sweep (mails stay in the outbox; see the runbook in README)`);
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
