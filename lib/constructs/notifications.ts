import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SORT_KEY, SORT_KEY_PREFIX } from '../../lambdas/adapters/dynamodb/table-layout';
import { MAILED_EVENT_TYPES } from '../../lambdas/domain/audit-event';
import type { SesSender } from '../config';
import { type StageProps, stageOf, statefulRemovalPolicy } from '../stage';
import { KeywardFunction, TableAccess } from './keyward-function';

/** The audit event types that are mailed to the admins (API.md §5, §8): declared once, in the domain. */
export { MAILED_EVENT_TYPES } from '../../lambdas/domain/audit-event';

export interface NotificationsProps extends StageProps {
  /** keyward's table, whose stream carries the audit events. */
  readonly table: dynamodb.ITable;
  /**
   * The SES identity to create and send from. Without it the notifier is deployed with its
   * stream subscription disabled: audit events accumulate in the table (and in the stream for
   * 24 hours) and no email is sent until a deployment with a sender enables it.
   * @default none: no email is sent
   */
  readonly sender?: SesSender;
  /** @default 5 */
  readonly retryAttempts?: number;
}

/**
 * The notifier (DESIGN.md "Notifications"): the table's stream, filtered to the audit events that
 * are mailed, drives one function that sends with SES. Failing batches are split to isolate a
 * bad record (bisect), retried, and finally described in an SQS queue for replay.
 */
export class Notifications extends Construct {
  readonly notifier: KeywardFunction;
  readonly failureQueue: sqs.Queue;
  readonly emailIdentity?: ses.EmailIdentity;
  readonly eventSource: sources.DynamoEventSource;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.notifier = new KeywardFunction(this, 'NotifyAdmins', {
      ...stageOf(props),
      entry: 'notify-admins',
      description: 'Emails the organization admins when a key is created, rotated, retired or deleted',
      timeout: Duration.seconds(30),
    });
    this.notifier.bindTable(props.table, TableAccess.notifier);

    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      queueName: `keyward-${props.stage}-notifier-failures`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: statefulRemovalPolicy(props),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the on-failure destination of the notifier's stream subscription.",
    });

    if (props.sender) {
      this.emailIdentity = new ses.EmailIdentity(this, 'Sender', {
        identity: props.sender.kind === 'email' ? ses.Identity.email(props.sender.identity) : ses.Identity.domain(props.sender.identity),
      });
      const { region, account, partition } = Stack.of(this);
      this.notifier.addEnvironment('SES_FROM_ADDRESS', props.sender.fromAddress);
      this.notifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ses:SendEmail', 'ses:SendRawEmail'],
          resources: [`arn:${partition}:ses:${region}:${account}:identity/${props.sender.identity}`],
        }),
      );
    }

    this.eventSource = new sources.DynamoEventSource(props.table, {
      // The outbox must not skip events written before the subscription existed or while it was off.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      bisectBatchOnError: true,
      // The notifier reports the first record it could not send; without this the mapping would
      // take that answer for success and drop the record.
      reportBatchItemFailures: true,
      retryAttempts: props.retryAttempts ?? 5,
      onFailure: new sources.SqsDlq(this.failureQueue),
      enabled: props.sender !== undefined,
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: {
            Keys: { [SORT_KEY]: { S: lambda.FilterRule.beginsWith(SORT_KEY_PREFIX.auditEvent) } },
            NewImage: { type: { S: lambda.FilterRule.or(...MAILED_EVENT_TYPES) } },
          },
        }),
      ],
    });
    this.notifier.addEventSource(this.eventSource);
  }
}
