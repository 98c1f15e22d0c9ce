import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_EARLY_INVOCATION_MS, JOB_RETRY_ATTEMPTS } from '../../lambdas/domain/expiry';
import { type StageProps, stageOf, statefulRemovalPolicy } from '../stage';
import { failureQueue } from './failure-queue';
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
 * retire or remind function with the scheduler role, asynchronously: an invocation it cannot
 * deliver (the role, the function's existence) is retried by the scheduler and then lands in its
 * dead-letter queue; a handler that fails is retried by Lambda and then lands in the job failure
 * queue (the functions' on-failure destination). `keyward jobs redrive` runs both again.
 */
export class Retirement extends Construct {
  readonly retireFunction: KeywardFunction;
  /** Sends the expiry reminders (writes `api_key.expiry_reminder_sent`, whose email the notifier sends). */
  readonly remindFunction: KeywardFunction;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;
  /** What EventBridge Scheduler could not deliver to the functions after its retries (the schedules' DLQ). */
  readonly deadLetterQueue: sqs.Queue;
  /** What the retire and remind functions failed on after Lambda's retries (their on-failure destination). */
  readonly jobFailureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RetirementProps) {
    super(scope, id);
    const removalPolicy = statefulRemovalPolicy(props);

    this.retireFunction = new KeywardFunction(this, 'RetireFunction', {
      ...stageOf(props),
      entry: 'retire-api-key',
      description: 'Retires a rotated key at its expires_at (invoked by EventBridge Scheduler)',
      environment: props.keyEnvironment,
      // A schedule may fire up to a minute before expires_at; the handler waits that out, then works.
      timeout: Duration.millis(JOB_EARLY_INVOCATION_MS).plus(Duration.seconds(10)),
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

    this.deadLetterQueue = failureQueue(this, props, {
      id: 'DeadLetterQueue',
      holds: 'retirement and reminder invocations EventBridge Scheduler could not deliver',
    });

    // Scheduler's invocation is asynchronous: it succeeds once Lambda has queued the event, so a
    // handler's error never reaches the scheduler's retries or its DLQ. Lambda retries it (both
    // handlers are idempotent, and what fails them is transient: throttling, a conflict) and then
    // sends the invocation record, with the original payload, here. Events may wait the full 6 h
    // (Lambda's maximum) while the function is throttled: the authorizer already refuses an
    // expired key, so a late retirement only tidies up, and a late reminder is still worth sending.
    this.jobFailureQueue = failureQueue(this, props, {
      id: 'JobFailureQueue',
      holds: 'retirement and reminder jobs whose handler failed after Lambda’s retries',
    });
    for (const fn of [this.retireFunction, this.remindFunction]) {
      fn.configureAsyncInvoke({
        onFailure: new destinations.SqsDestination(this.jobFailureQueue),
        retryAttempts: JOB_RETRY_ATTEMPTS,
        maxEventAge: Duration.hours(6),
      });
    }

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
