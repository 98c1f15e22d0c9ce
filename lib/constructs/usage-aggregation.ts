import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { USAGE_BATCH_PARTITION_PREFIX, USAGE_PARTITION_PREFIX } from '../../lambdas/table/layout';
import { type StageProps, stageOf } from '../stage';
import { failureQueue } from './failure-queue';
import { KeywardFunction } from './keyward-function';

export interface UsageAggregationProps extends StageProps {
  /** keyward's table, where the counters live (`USAGE#<org>`) with the batch markers (`USAGEBATCH#<id>`). */
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

/**
 * Per-key usage (API.md §9, DESIGN.md "Usage counts"), off the request path: a subscription filter
 * on the consumer API's access log sends the lines of keys' requests (those with an organization
 * in the authorizer's context) to the aggregator, which adds them to hourly and daily counters,
 * idempotent per batch. CloudWatch Logs invokes it asynchronously: a failed batch is retried by
 * Lambda and then lands, with its payload, in the usage failure queue (alarmed, docs/operating.md).
 */
export class UsageAggregation extends Construct {
  readonly aggregator: KeywardFunction;
  /** Batches the aggregator failed on after Lambda's retries (its on-failure destination). */
  readonly failureQueue: sqs.Queue;
  /** One subscription filter per access log counted. */
  readonly subscriptions: logs.SubscriptionFilter[] = [];

  constructor(scope: Construct, id: string, props: UsageAggregationProps) {
    super(scope, id);

    this.aggregator = new KeywardFunction(this, 'Aggregator', {
      ...stageOf(props),
      entry: 'aggregate-usage',
      description: "Adds the consumer API's access log to per-key hourly and daily usage counters",
      timeout: Duration.seconds(60),
    });
    this.aggregator.addEnvironment('TABLE_NAME', props.table.tableName);
    // Writes the counters and the batch markers, in their own partitions only: never a key, an
    // organization or an audit event (the IAM simulation's must-deny cases).
    this.aggregator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${USAGE_PARTITION_PREFIX}*`, `${USAGE_BATCH_PARTITION_PREFIX}*`] },
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
