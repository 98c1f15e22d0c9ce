import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { USAGE_PARTITION_PREFIX, USAGE_RAW_PARTITION_PREFIX, USAGE_ROLLUP_PARTITION } from '../../lambdas/table/layout';
import { type StageProps, stageOf } from '../stage';
import { failureQueue } from './failure-queue';
import { KeywardFunction } from './keyward-function';

export interface UsageAggregationProps extends StageProps {
  /** keyward's table, where the counters live (`USAGE#<org>`) with the raw tallies (`USAGERAW#<hour>`) and the rollup's markers. */
  readonly table: dynamodb.ITable;
  /**
   * The consumer API's access log (`access-log-format.ts`): every line of a key's request is
   * counted. More can be added with `countRequestsIn` (your own API behind `ApiKeyAuthorizer`).
   * @default none: nothing is counted until `countRequestsIn` is called
   */
  readonly accessLogs?: logs.ILogGroup;
}

/** Lambda's retries of a failed asynchronous invocation before the batch goes to the failure queue. */
export const USAGE_RETRY_ATTEMPTS = 2;

/** How often the usage rollup runs: an hour is rolled 15-30 minutes after it ends (domain/usage-rollup.ts). */
export const USAGE_ROLLUP_RATE = Duration.minutes(15);

/**
 * Per-key usage (API.md §9, DESIGN.md "Usage counts"), off the request path: a subscription filter
 * on the consumer API's access log sends the lines of keys' requests (those with an organization
 * in the authorizer's context) to the aggregator, which puts each batch's per-key sums as raw
 * tallies, idempotent per batch; every 15 minutes the rollup adds the closed hours' tallies to the
 * hourly and daily counters (docs/architecture.md "Usage"). Both are invoked asynchronously: a
 * failed batch is retried by Lambda and then lands, with its payload, in the usage failure queue;
 * a failed rollup run lands in its own (the next run catches up); both alarmed (docs/operating.md).
 */
export class UsageAggregation extends Construct {
  readonly aggregator: KeywardFunction;
  /** Batches the aggregator failed on after Lambda's retries (its on-failure destination). */
  readonly failureQueue: sqs.Queue;
  readonly rollup: KeywardFunction;
  /** Rollup runs that failed after Lambda's retries (its on-failure destination). */
  readonly rollupFailureQueue: sqs.Queue;
  /** One subscription filter per access log counted. */
  readonly subscriptions: logs.SubscriptionFilter[] = [];

  constructor(scope: Construct, id: string, props: UsageAggregationProps) {
    super(scope, id);

    this.aggregator = new KeywardFunction(this, 'Aggregator', {
      ...stageOf(props),
      entry: 'aggregate-usage',
      description: "Sums the consumer API's access log per key and hour into raw usage tallies",
      // domain/usage-rollup.ts relies on it: a raw put lands before the rollup reads its hour.
      timeout: Duration.seconds(60),
    });
    this.aggregator.addEnvironment('TABLE_NAME', props.table.tableName);
    // Puts raw tallies, and adds late lines to the counters (UpdateItem) in the same transaction,
    // in those partitions only: never a key, an organization or an audit event (the IAM
    // simulation's must-deny cases).
    this.aggregator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${USAGE_PARTITION_PREFIX}*`, `${USAGE_RAW_PARTITION_PREFIX}*`] },
        },
      }),
    );

    this.failureQueue = failureQueue(this, props, {
      id: 'FailureQueue',
      holds: 'access log batches the usage aggregator failed on after Lambda’s retries',
    });
    this.aggregator.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.failureQueue),
      retryAttempts: USAGE_RETRY_ATTEMPTS,
      maxEventAge: Duration.hours(6),
    });

    this.rollup = new KeywardFunction(this, 'Rollup', {
      ...stageOf(props),
      entry: 'roll-up-usage',
      description: 'Adds the closed hours’ raw usage tallies to the per-key hourly and daily counters',
      // It stops starting hours after 4 minutes of a catch-up (usage/rollup.ts).
      timeout: Duration.minutes(5),
    });
    this.rollup.addEnvironment('TABLE_NAME', props.table.tableName);
    // Reads the raw tallies and the markers, adds to the counters, puts the markers: nothing else.
    this.rollup.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${USAGE_RAW_PARTITION_PREFIX}*`, USAGE_ROLLUP_PARTITION] },
        },
      }),
    );
    this.rollup.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${USAGE_PARTITION_PREFIX}*`] } },
      }),
    );
    this.rollup.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [USAGE_ROLLUP_PARTITION] } },
      }),
    );
    this.rollupFailureQueue = failureQueue(this, props, {
      id: 'RollupFailureQueue',
      holds: 'usage rollup runs that failed after Lambda’s retries (the next run catches up)',
    });
    this.rollup.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.rollupFailureQueue),
      retryAttempts: USAGE_RETRY_ATTEMPTS,
      // A run is worth retrying until the next one starts.
      maxEventAge: USAGE_ROLLUP_RATE,
    });
    new events.Rule(this, 'RollupSchedule', {
      description: 'Runs the usage rollup',
      schedule: events.Schedule.rate(USAGE_ROLLUP_RATE),
      targets: [new eventTargets.LambdaFunction(this.rollup)],
    });

    if (props.accessLogs) this.countRequestsIn(props.accessLogs);
  }

  /**
   * Counts the requests in a consumer API's access log (one written in keyward's access log
   * format, as `KeywardRestApi` writes it). The first log keeps the construct id
   * `AccessLogSubscription`; later ones get `AccessLogSubscription<n>`.
   */
  countRequestsIn(accessLogs: logs.ILogGroup): logs.SubscriptionFilter {
    const id = this.subscriptions.length === 0 ? 'AccessLogSubscription' : `AccessLogSubscription${this.subscriptions.length + 1}`;
    const subscription = new logs.SubscriptionFilter(this, id, {
      logGroup: accessLogs,
      destination: new logsDestinations.LambdaDestination(this.aggregator),
      // Every line: a stage's log holds lean (space-separated) or full (JSON) lines, and both
      // across a change of its format, which no one pattern matches; the aggregator skips the lines
      // of no key's request (401s, refusals before the authorizer) without any I/O.
      filterPattern: logs.FilterPattern.allEvents(),
    });
    this.subscriptions.push(subscription);
    return subscription;
  }
}
