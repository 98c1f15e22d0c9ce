import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFIER_METRICS } from '../../lambdas/observability/metric-names';
import type { StageProps } from '../stage';
import {
  authorizerDecisionWidgets,
  authorizerFailureMetric,
  customMetric,
  FIVE_MINUTES,
  shareOf,
  sumOfOperations,
  TABLE_OPERATIONS,
  throttledResponsesMetric,
} from './alarm-metrics';
import { ALARM_THRESHOLDS } from './alarm-thresholds';
import type { KeywardFunction } from './keyward-function';
import type { KeywardRestApi } from './keyward-rest-api';

export { ALARM_THRESHOLDS };

export interface ObservabilityProps extends StageProps {
  /** keyward's table. */
  readonly table: dynamodb.ITable;
  /**
   * The stage's protected API (`example`) and its api-key authorizer function: the authorizer's
   * decisions, errors and duration, and the API's authorizer failures, 5xx and 429 shares.
   * @default none: the stage deploys no example API (`exampleApi`), so no authorizer of its own to watch
   */
  readonly protectedApi?: { readonly api: KeywardRestApi; readonly authorizer: lambda.IFunction };
  /** The management API: any 5xx is alarmed (admins make few requests; a rate would hide a broken operation). */
  readonly managementApi: KeywardRestApi;
  /** Every function of the stack: each one's `Errors` is alarmed (the api-key authorizer's by `authorizer-errors`). */
  readonly functions: readonly KeywardFunction[];
  readonly notifier: lambda.IFunction;
  readonly notifierFailureQueue: sqs.IQueue;
  /** The event publisher: its stream lag is alarmed. */
  readonly eventPublisher: lambda.IFunction;
  /** The event publisher's failure destination: lifecycle events not published. */
  readonly eventPublisherFailureQueue: sqs.IQueue;
  /** What EventBridge Scheduler could not deliver to the retire and remind functions. */
  readonly retirementDeadLetterQueue: sqs.IQueue;
  /** The retire and remind functions' on-failure destination: jobs whose handler failed after Lambda's retries. */
  readonly jobFailureQueue: sqs.IQueue;
  /** The usage aggregator's on-failure destination: access log batches not counted. */
  readonly usageFailureQueue: sqs.IQueue;
  /** The usage rollup's on-failure destination: runs that failed (hours rolled late, the next run catches up). */
  readonly usageRollupFailureQueue: sqs.IQueue;
  readonly retirementScheduleGroup: scheduler.IScheduleGroup;
  /**
   * The account's Lambda concurrency limit in this region (`aws lambda get-account-settings`,
   * `AccountLimit.ConcurrentExecutions`): the account-concurrency alarm fires at 80 % of it.
   * @default 1000, AWS's default quota
   */
  readonly accountConcurrencyLimit?: number;
  /**
   * The configuration set the notifier sends with, whose reputation metrics are alarmed.
   * @default none: no SES alarms (no email is sent)
   */
  readonly sesConfigurationSetName?: string;
  /**
   * An address subscribed to the alarm topic (SNS mails it a confirmation link first).
   * @default none: subscribe your pager or chat to the topic yourself
   */
  readonly alarmEmail?: string;
}

/**
 * What an on-call engineer needs (docs/operating.md): CloudWatch alarms on the signals that mean a
 * client or an admin is affected, all notifying one SNS topic (alarm and recovery), and one
 * dashboard `keyward-<stage>` with the same signals plus the authorizer's decisions.
 */
export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  /** The alarms by short name (`authorizer-errors`, `management-5xx`, …). */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  private readonly alarmList = new Map<string, cloudwatch.Alarm>();
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarms = this.alarmList;
    const prefix = `keyward-${props.stage}`;
    this.prefix = prefix;

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${prefix}-alarms`,
      displayName: `keyward ${props.stage} alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and metric values, no data. With the AWS-managed SNS key CloudWatch could not publish; a customer key would cost a key per stage for nothing to protect.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const protectedWidgets = props.protectedApi ? this.alarmProtectedApi(props.protectedApi) : [];

    const throttles = sumOfOperations('ThrottledRequests', props.table, TABLE_OPERATIONS, 'throttled requests');
    this.alarm('table-throttles', throttles, {
      threshold: ALARM_THRESHOLDS.tableThrottles,
      evaluationPeriods: 2,
      description: 'DynamoDB throttles requests to the keyward table (a hot key, or an account limit).',
    });
    const systemErrors = sumOfOperations(
      'SystemErrors',
      props.table,
      [...TABLE_OPERATIONS, dynamodb.Operation.GET_RECORDS],
      'system errors',
    );
    this.alarm('table-system-errors', systemErrors, {
      threshold: ALARM_THRESHOLDS.tableSystemErrors,
      evaluationPeriods: 1,
      description: 'DynamoDB answers keyward table requests with internal errors.',
    });

    const streamConsumers: [string, lambda.IFunction, string][] = [
      [
        'notifier-stream-lag',
        props.notifier,
        'Admin emails are late: the notifier is behind on the table stream (records expire after 24 h).',
      ],
      [
        'event-publisher-stream-lag',
        props.eventPublisher,
        'Lifecycle events are late on the bus: the event publisher is behind on the table stream (records expire after 24 h).',
      ],
    ];
    for (const [name, consumer, description] of streamConsumers) {
      const iteratorAge = consumer.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES });
      this.alarm(name, iteratorAge, { threshold: ALARM_THRESHOLDS.streamIteratorAgeMs, evaluationPeriods: 2, description });
    }

    const queues: [string, sqs.IQueue, string][] = [
      ['notifier-failure-queue', props.notifierFailureQueue, 'The notifier gave up on stream records: admin emails were not sent.'],
      [
        'retirement-dlq',
        props.retirementDeadLetterQueue,
        'EventBridge Scheduler could not invoke the retire or remind function: retirements or reminders did not run.',
      ],
      [
        'job-failure-queue',
        props.jobFailureQueue,
        'The retire or remind function failed a job after Lambda’s retries: a key was not retired, or a reminder not sent.',
      ],
      [
        'usage-failure-queue',
        props.usageFailureQueue,
        'The usage aggregator failed on access log batches after Lambda’s retries: their requests are missing from the usage counts.',
      ],
      [
        'usage-rollup-failure-queue',
        props.usageRollupFailureQueue,
        'The usage rollup failed after Lambda’s retries: closed hours are read from raw tallies until a run succeeds, and are lost after 3 days.',
      ],
      [
        'event-publisher-failure-queue',
        props.eventPublisherFailureQueue,
        'The event publisher gave up on stream records: lifecycle events were not put on the bus.',
      ],
    ];
    for (const [name, queue, description] of queues) {
      const depth = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES });
      this.alarm(name, depth, { threshold: ALARM_THRESHOLDS.queueDepth, evaluationPeriods: 1, description });
    }

    const group = props.retirementScheduleGroup;
    const schedulerFailures = new cloudwatch.MathExpression({
      label: 'retirement target errors + dropped',
      expression: 'FILL(targetErrors, 0) + FILL(dropped, 0)',
      usingMetrics: {
        targetErrors: group.metricTargetErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
        dropped: group.metricDropped({ statistic: 'Sum', period: FIVE_MINUTES }),
      },
      period: FIVE_MINUTES,
    });
    this.alarm('scheduler-failures', schedulerFailures, {
      threshold: ALARM_THRESHOLDS.schedulerFailures,
      evaluationPeriods: 1,
      description: 'EventBridge Scheduler could not invoke the retire or remind function (target errors) or dropped an invocation.',
    });

    // Every function's failed invocations, as a count: most run a few times an hour, where one
    // failure is news. A handled error (a 500 answered by the management handlers) is not one of
    // them: management-5xx counts those. The api-key authorizer's are in authorizer-errors.
    const erring = props.functions.filter((fn) => fn !== props.protectedApi?.authorizer);
    for (const fn of erring) {
      this.alarm(`${fn.shortName}-errors`, fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }), {
        threshold: ALARM_THRESHOLDS.functionErrors,
        evaluationPeriods: 1,
        description: `keyward-${props.stage}-${fn.shortName} failed invocations (an uncaught error, a timeout, a crash).`,
      });
    }

    const managementStage = props.managementApi.deploymentStage;
    this.alarm('management-5xx', managementStage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }), {
      threshold: ALARM_THRESHOLDS.management5xx,
      evaluationPeriods: 1,
      description: 'The management API answered 5xx: an admin could not do something (a broken operation, the admin authorizer).',
    });

    const accountConcurrency = new cloudwatch.MathExpression({
      label: 'account concurrent executions, % of the limit',
      expression: `100 * concurrent / ${props.accountConcurrencyLimit ?? 1000}`,
      // The account-wide metric: no dimension. Every workload of the account in the region shares the limit.
      usingMetrics: {
        concurrent: new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName: 'ConcurrentExecutions',
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
      },
      period: Duration.minutes(1),
    });
    this.alarm('account-concurrency', accountConcurrency, {
      threshold: ALARM_THRESHOLDS.accountConcurrencyPercent,
      evaluationPeriods: 5,
      description: "The account's Lambda concurrency nears its limit: beyond it every function, the authorizer first, is throttled.",
    });

    const emailsRejected = customMetric(NOTIFIER_METRICS.emailsRejected, props.notifier);
    this.alarm('emails-rejected', emailsRejected, {
      threshold: ALARM_THRESHOLDS.emailsRejected,
      evaluationPeriods: 1,
      description: 'SES refused admin emails for good (in the sandbox: unverified recipients); they are not retried.',
    });

    const sesWidgets: cloudwatch.IWidget[] = [];
    if (props.sesConfigurationSetName) {
      const reputation = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/SES',
          metricName,
          dimensionsMap: { 'ses:configuration-set': props.sesConfigurationSetName! },
          statistic: 'Maximum',
          period: Duration.hours(1),
        });
      this.alarm('ses-bounce-rate', reputation('Reputation.BounceRate'), {
        threshold: ALARM_THRESHOLDS.sesBounceRate,
        evaluationPeriods: 1,
        description: 'Admin emails bounce: SES reviews the account at 5 %.',
      });
      this.alarm('ses-complaint-rate', reputation('Reputation.ComplaintRate'), {
        threshold: ALARM_THRESHOLDS.sesComplaintRate,
        evaluationPeriods: 1,
        description: 'Admins mark keyward emails as spam: SES reviews the account at 0.1 %.',
      });
      sesWidgets.push(this.alarmWidget('ses-bounce-rate'), this.alarmWidget('ses-complaint-rate'));
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: prefix, defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarmList.values()], width: 24, height: 3 }),
    );
    for (const row of protectedWidgets) this.dashboard.addWidgets(...row);
    this.dashboard.addWidgets(
      this.alarmWidget('management-5xx'),
      this.alarmWidget('account-concurrency'),
      this.alarmWidget('table-throttles'),
      this.alarmWidget('table-system-errors'),
    );
    this.dashboard.addWidgets(
      this.alarmWidget('scheduler-failures'),
      this.alarmWidget('retirement-dlq'),
      this.alarmWidget('job-failure-queue'),
      this.alarmWidget('event-publisher-failure-queue'),
    );
    this.dashboard.addWidgets(
      this.alarmWidget('notifier-stream-lag'),
      this.alarmWidget('event-publisher-stream-lag'),
      this.alarmWidget('notifier-failure-queue'),
      this.alarmWidget('emails-rejected'),
      ...sesWidgets,
    );
    this.dashboard.addWidgets(this.alarmWidget('usage-failure-queue'), this.alarmWidget('usage-rollup-failure-queue'));
    this.dashboard.addWidgets(...erring.map((fn) => this.alarmWidget(`${fn.shortName}-errors`)));
  }

  /** The alarms of the protected API and its authorizer; returns the dashboard rows that show them. */
  private alarmProtectedApi(protectedApi: { api: KeywardRestApi; authorizer: lambda.IFunction }): cloudwatch.IWidget[][] {
    const { authorizer } = protectedApi;
    // Clients see 500 when the function fails (Errors) and also when API Gateway cannot use it
    // (throttled, timed out, bad answer), which only the access log shows. MAX, not a sum: one
    // failed invocation usually shows in both.
    const authorizerFailures = authorizerFailureMetric(this, protectedApi.api);
    const authorizerErrors = new cloudwatch.MathExpression({
      label: 'authorizer errors (500 to the client)',
      expression: 'MAX([FILL(errors, 0), FILL(failures, 0)])',
      usingMetrics: { errors: authorizer.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }), failures: authorizerFailures },
      period: FIVE_MINUTES,
    });
    this.alarm('authorizer-errors', authorizerErrors, {
      threshold: ALARM_THRESHOLDS.authorizerErrors,
      evaluationPeriods: 1,
      description: 'The api-key authorizer failed requests (clients got 500): Lambda errors or API Gateway authorizer failures.',
    });

    const authorizerP99 = authorizer.metricDuration({ statistic: 'p99', period: FIVE_MINUTES });
    this.alarm('authorizer-p99-duration', authorizerP99, {
      threshold: ALARM_THRESHOLDS.authorizerP99Ms,
      evaluationPeriods: 3,
      description: 'The api-key authorizer p99 duration is high: every consumer request waits for it.',
    });

    const protectedStage = protectedApi.api.deploymentStage;
    const requests = protectedStage.metricCount({ statistic: 'Sum', period: FIVE_MINUTES });
    this.alarm(
      'example-5xx-rate',
      shareOf(
        'example 5xx %',
        protectedStage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }),
        requests,
        ALARM_THRESHOLDS.apiRateMinRequests,
      ),
      {
        threshold: ALARM_THRESHOLDS.api5xxPercent,
        evaluationPeriods: 2,
        description: `The protected API answers too many 5xx (at least ${ALARM_THRESHOLDS.apiRateMinRequests} requests per 5 minutes).`,
      },
    );
    this.alarm(
      'example-429-rate',
      shareOf('example 429 %', throttledResponsesMetric(this, protectedApi.api), requests, ALARM_THRESHOLDS.apiRateMinRequests),
      {
        threshold: ALARM_THRESHOLDS.api429Percent,
        evaluationPeriods: 2,
        description: `The protected API refuses too many requests with 429 (throttling or quotas; at least ${ALARM_THRESHOLDS.apiRateMinRequests} requests per 5 minutes).`,
      },
    );

    return [
      authorizerDecisionWidgets(authorizer),
      [
        this.alarmWidget('authorizer-errors'),
        this.alarmWidget('authorizer-p99-duration'),
        this.alarmWidget('example-5xx-rate'),
        this.alarmWidget('example-429-rate'),
      ],
    ];
  }

  private alarm(name: string, metric: cloudwatch.IMetric, options: { threshold: number; evaluationPeriods: number; description: string }) {
    const alarm = new cloudwatch.Alarm(this, name, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: `${options.description} What to do: docs/operating.md, "Alarms".`,
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods,
      datapointsToAlarm: options.evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data is no traffic (no request, no email, no retirement, an empty queue that went
      // quiet): healthy, never an alarm. The queues report while they hold a message.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarmList.set(name, alarm);
    return alarm;
  }

  private alarmWidget(name: string): cloudwatch.AlarmWidget {
    const alarm = this.alarmList.get(name);
    if (!alarm) throw new Error(`no alarm ${name}`);
    return new cloudwatch.AlarmWidget({ title: name, alarm, width: 6 });
  }
}
