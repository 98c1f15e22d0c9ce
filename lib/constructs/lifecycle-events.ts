import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SORT_KEY, SORT_KEY_PREFIX } from '../../lambdas/table/layout';
import { type StageProps, stageOf } from '../stage';
import { failureQueue } from './failure-queue';
import { KeywardFunction } from './keyward-function';

export interface LifecycleEventsProps extends StageProps {
  /** keyward's table, whose stream carries the audit events (the outbox). */
  readonly table: dynamodb.ITable;
  /** @default 5 */
  readonly retryAttempts?: number;
}

/**
 * Lifecycle events for integrations (API.md §8, DESIGN.md "Outbox consumers"): the stack's event
 * bus, and the publisher that puts every audit event on it as stored (source `keyward`,
 * detail-type the audit type). The table's stream, filtered to new audit events, drives the
 * publisher; what it cannot publish after its retries is described in its own SQS queue. The
 * publisher may put events on this bus and nothing else: no table item, no other bus.
 */
export class LifecycleEvents extends Construct {
  readonly bus: events.EventBus;
  readonly publisher: KeywardFunction;
  readonly failureQueue: sqs.Queue;
  readonly eventSource: sources.DynamoEventSource;

  constructor(scope: Construct, id: string, props: LifecycleEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `keyward-${props.stage}-events`,
      description: 'keyward lifecycle events: every audit event (source keyward, detail-type the audit type)',
    });

    this.publisher = new KeywardFunction(this, 'PublishEvents', {
      ...stageOf(props),
      entry: 'publish-events',
      description: 'Publishes every audit event to the keyward event bus',
      timeout: Duration.seconds(30),
    });
    this.publisher.addEnvironment('EVENT_BUS_NAME', this.bus.eventBusName);
    // events:PutEvents on this bus's ARN only.
    this.bus.grantPutEventsTo(this.publisher);

    this.failureQueue = failureQueue(this, props, { holds: "the event publisher's stream batches, after its retries" });

    this.eventSource = new sources.DynamoEventSource(props.table, {
      // The outbox must not skip events written before the subscription existed.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      // The publisher reports the records whose events it could not publish; only from those on is the batch retried.
      reportBatchItemFailures: true,
      retryAttempts: props.retryAttempts ?? 5,
      onFailure: new sources.SqsDlq(this.failureQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { Keys: { [SORT_KEY]: { S: lambda.FilterRule.beginsWith(SORT_KEY_PREFIX.auditEvent) } } },
        }),
      ],
    });
    this.publisher.addEventSource(this.eventSource);
  }
}
