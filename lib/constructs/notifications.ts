import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAILED_EVENT_TYPES } from '../../lambdas/domain/audit-event';
import { LAST_USED_AT_ATTRIBUTE, SORT_KEY, SORT_KEY_PREFIX } from '../../lambdas/table/layout';
import type { SesSender } from '../config';
import { type StageProps, stageOf, statefulRemovalPolicy } from '../stage';
import { failureQueue } from './failure-queue';
import { KeywardFunction, TableAccess } from './keyward-function';

/** The audit event types that are mailed to the admins (API.md §5, §8): declared once, in the domain. */
export { MAILED_EVENT_TYPES } from '../../lambdas/domain/audit-event';

export interface NotificationsProps extends StageProps {
  /** keyward's table, whose stream carries the audit events. */
  readonly table: dynamodb.ITable;
  /**
   * The SES identity to create and send from. Without it the notifier is deployed with its
   * stream subscription disabled: audit events accumulate in the table (and in the stream for
   * 24 hours) and no email is sent until a deployment with a sender enables it; nor is any
   * "still in use" warning given (it is this subscription's job).
   * @default none: no email is sent
   */
  readonly sender?: SesSender;
  /**
   * The sender's SES identity exists already (verified by hand, or kept from an earlier stack of
   * the stage): send from it, do not create it (creating an identity that exists fails the deploy).
   * @default false: the identity is created, and kept outside dev stages when the stack goes
   */
  readonly senderIdentityExists?: boolean;
  /** @default 5 */
  readonly retryAttempts?: number;
}

/**
 * The notifier (DESIGN.md "Notifications"): the table's stream, filtered to the audit events that
 * are mailed and to used key items with a pending expiry (the "still in use" check, which writes
 * an audit event of its own), drives one function that sends with SES. One subscription for both
 * jobs, because a DynamoDB stream shard serves at most two readers without throttling, and the
 * event publisher is the other. Failing batches are split to isolate a
 * bad record (bisect), retried, and finally described in an SQS queue for replay.
 */
export class Notifications extends Construct {
  readonly notifier: KeywardFunction;
  readonly failureQueue: sqs.Queue;
  readonly emailIdentity?: ses.EmailIdentity;
  /**
   * What every email is sent with (only with a sender): its reputation metrics (bounce and
   * complaint rates) are published to CloudWatch per set, for the alarms.
   */
  readonly configurationSet?: ses.ConfigurationSet;
  readonly eventSource: sources.DynamoEventSource;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.notifier = new KeywardFunction(this, 'NotifyAdmins', {
      ...stageOf(props),
      entry: 'notify-admins',
      description:
        'Emails the organization admins when a key is created, rotated, retired or deleted, or still used just before it expires',
      timeout: Duration.seconds(30),
    });
    this.notifier.bindTable(props.table, TableAccess.notifier);

    this.failureQueue = failureQueue(this, props, { holds: "the notifier's stream batches, after its retries" });

    if (props.sender) {
      if (!props.senderIdentityExists) {
        this.emailIdentity = new ses.EmailIdentity(this, 'Sender', {
          identity: props.sender.kind === 'email' ? ses.Identity.email(props.sender.identity) : ses.Identity.domain(props.sender.identity),
          // Until its MX record is published SES falls back to its own MAIL FROM (amazonses.com) rather than refusing to send.
          ...(props.sender.mailFromDomain
            ? {
                mailFromDomain: props.sender.mailFromDomain,
                mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
              }
            : {}),
        });
        // Verification and DKIM records are work to redo: only a dev stage drops the identity with the stack.
        this.emailIdentity.applyRemovalPolicy(statefulRemovalPolicy(props));
      }
      this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
        configurationSetName: `keyward-${props.stage}-notifications`,
        reputationMetrics: true,
        sendingEnabled: true,
      });
      const { region, account, partition } = Stack.of(this);
      this.notifier.addEnvironment('SES_FROM_ADDRESS', props.sender.fromAddress);
      this.notifier.addEnvironment('SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
      // SES authorizes a send against the sender's identity, the configuration set it names and,
      // while the account is in the sandbox, each recipient's identity too: any identity of the
      // account, but only with the stage's From address (SendEmail is all the mailer calls).
      this.notifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            `arn:${partition}:ses:${region}:${account}:identity/*`,
            `arn:${partition}:ses:${region}:${account}:configuration-set/${this.configurationSet.configurationSetName}`,
          ],
          conditions: { StringEquals: { 'ses:FromAddress': props.sender.fromAddress } },
        }),
      );
      Validations.of(this.notifier.role ?? this.notifier).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
        reason: "In the SES sandbox every recipient's identity is authorized too; ses:FromAddress keeps the sender to the stage's.",
      });
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
        // The "still in use" check (API.md §8): a used key item with a pending expiry. Derived from
        // the authorizer's last_used_at write (at most once a minute per key), never from the request.
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('MODIFY'),
          dynamodb: {
            Keys: { [SORT_KEY]: { S: lambda.FilterRule.beginsWith(SORT_KEY_PREFIX.apiKey) } },
            NewImage: { expires_at: { S: lambda.FilterRule.exists() }, [LAST_USED_AT_ATTRIBUTE]: { S: lambda.FilterRule.exists() } },
          },
        }),
      ],
    });
    this.notifier.addEventSource(this.eventSource);
  }
}
