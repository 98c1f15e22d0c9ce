import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type StageProps, stageOf, statefulRemovalPolicy } from '../stage';
import { KeywardFunction, TableAccess } from './keyward-function';

export interface RetirementProps extends StageProps {
  /** keyward's table, where the retire function removes rotated keys. */
  readonly table: dynamodb.ITable;
  /** Key configuration shared by the functions that build the key service (`KEY_PREFIX`, `RESOURCE_CATALOG`). */
  readonly keyEnvironment: Record<string, string>;
}

/**
 * Lifecycle jobs (DESIGN.md "Scheduled retirement", "Lifecycle jobs"): create, update and rotate
 * make one-shot `at(...)` schedules in this group (a retirement at a key's `expires_at`, and a
 * reminder at each mark before it) and delete them when their change does not commit or the
 * expiry ends; delete removes the schedules of a key it deletes. EventBridge Scheduler invokes the
 * retire or remind function with the scheduler role, and what it cannot deliver after its
 * retries lands in the DLQ.
 */
export class Retirement extends Construct {
  readonly retireFunction: KeywardFunction;
  /** Sends the expiry reminders (writes `api_key.expiry_reminder_sent`, whose email the notifier sends). */
  readonly remindFunction: KeywardFunction;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RetirementProps) {
    super(scope, id);
    const removalPolicy = statefulRemovalPolicy(props);

    this.retireFunction = new KeywardFunction(this, 'RetireFunction', {
      ...stageOf(props),
      entry: 'retire-api-key',
      description: 'Retires a rotated key at its expires_at (invoked by EventBridge Scheduler)',
      environment: props.keyEnvironment,
    });
    this.retireFunction.bindTable(props.table, TableAccess.retire);

    this.remindFunction = new KeywardFunction(this, 'RemindFunction', {
      ...stageOf(props),
      entry: 'remind-api-key-expiry',
      description: 'Reminds the admins before a key expires (invoked by EventBridge Scheduler)',
    });
    this.remindFunction.bindTable(props.table, TableAccess.remind);

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: `keyward-${props.stage}-retirements`,
      // Pending schedules are recreated by nothing: keep them unless the stage is throwaway.
      removalPolicy,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: `Lets EventBridge Scheduler invoke keyward-${props.stage}-retire-api-key and -remind-api-key-expiry`,
      // Confused-deputy guard: only schedules of this account's lifecycle group may use the role.
      // Scheduler assumes an execution role presenting the schedule GROUP's ARN as aws:SourceArn
      // (since 2023-09-07; never a schedule's ARN), as CDK's own aws-scheduler-targets trusts it.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account, 'aws:SourceArn': this.scheduleGroup.scheduleGroupArn },
        },
      }),
    });
    // The function ARNs alone (not `:*`): schedules invoke $LATEST.
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.retireFunction.functionArn, this.remindFunction.functionArn],
      }),
    );
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);

    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the retirement schedules.',
    });
  }

  /**
   * For create, update and rotate: create schedules in the group and delete them again when the
   * change does not commit or the expiry ends (nothing else: no update, no other group), pass the
   * scheduler role (and no other role), and the variables that name them.
   */
  grantScheduling(fn: KeywardFunction): void {
    this.grantScheduleActions(fn, ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    // CreateSchedule hands the role to Scheduler: to Scheduler only, not to a function or a task.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }

  /** For delete: remove the schedule of a key deleted while its rotation was pending (delete only). */
  grantUnscheduling(fn: KeywardFunction): void {
    this.grantScheduleActions(fn, ['scheduler:DeleteSchedule']);
  }

  private grantScheduleActions(fn: KeywardFunction, actions: string[]): void {
    const { region, account, partition } = Stack.of(this);
    // The adapter's configuration is validated as one set (lambdas/runtime/config.ts), whatever it is used for.
    fn.addEnvironment('SCHEDULE_GROUP_NAME', this.scheduleGroup.scheduleGroupName);
    fn.addEnvironment('RETIRE_FUNCTION_ARN', this.retireFunction.functionArn);
    fn.addEnvironment('REMIND_FUNCTION_ARN', this.remindFunction.functionArn);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    fn.addEnvironment('SCHEDULER_DLQ_ARN', this.deadLetterQueue.queueArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [`arn:${partition}:scheduler:${region}:${account}:schedule/${this.scheduleGroup.scheduleGroupName}/*`],
      }),
    );
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.scheduleGroup.scheduleGroupName}/*]`,
      reason: "Schedule names are per key and unknown in advance; the wildcard is limited to this stage's retirement group.",
    });
  }
}
