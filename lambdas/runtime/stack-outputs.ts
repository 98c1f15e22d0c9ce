import { z } from 'zod';
import { RESOURCE_NAME_PATTERN } from '../domain/permissions';
import { PLAN_NAME_PATTERN, type PlansConfig, plansConfigSchema } from '../domain/plans';
import { KEY_PREFIX_PATTERN } from '../domain/token';

/**
 * The CloudFormation outputs the `keyward` CLI reads with `--stack` (API.md §4): named once here,
 * written by lib/keyward-stack.ts and parsed by the CLI, so the CLI works with exactly the table,
 * token key, key prefix and catalog the stack's functions and authorizer use.
 */
export const STACK_OUTPUT = {
  tableName: 'TableName',
  tokenKeyArn: 'TokenKeyArn',
  keyPrefix: 'KeyPrefix',
  /** A JSON array of resource names. */
  resourceCatalog: 'ResourceCatalog',
  notifierFailureQueueUrl: 'NotifierFailureQueueUrl',
  /** Only when the stack sends email. */
  senderAddress: 'SenderAddress',
  scheduleGroupName: 'ScheduleGroupName',
  retireFunctionArn: 'RetireFunctionArn',
  remindFunctionArn: 'RemindFunctionArn',
  schedulerRoleArn: 'SchedulerRoleArn',
  schedulerDlqArn: 'SchedulerDlqArn',
  /** Lifecycle jobs (retire, remind) that failed after Lambda's retries: their on-failure destination. */
  jobFailureQueueUrl: 'JobFailureQueueUrl',
  /** Lifecycle jobs EventBridge Scheduler could not deliver to their function. */
  schedulerDlqUrl: 'RetirementDlqUrl',
  /** Only with plans (the stage file's `plans`): the plans as JSON (API.md §9). */
  plans: 'Plans',
  /** Only with plans: a JSON object of each plan's API Gateway usage plan id, for `org create`, `org set-plan` and `migrate`. */
  usagePlanIds: 'UsagePlanIds',
} as const;

/** A JSON output, then checked by `schema`. */
const jsonOutput = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((raw, context) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const catalogSchema = z
  .string()
  .transform((raw, context) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.string().regex(RESOURCE_NAME_PATTERN)).min(1));

const outputsSchema = z.object({
  [STACK_OUTPUT.tableName]: z.string().min(1),
  [STACK_OUTPUT.tokenKeyArn]: z.string().min(1),
  [STACK_OUTPUT.keyPrefix]: z.string().regex(KEY_PREFIX_PATTERN),
  [STACK_OUTPUT.resourceCatalog]: catalogSchema,
  [STACK_OUTPUT.notifierFailureQueueUrl]: z.string().url(),
  [STACK_OUTPUT.senderAddress]: z.string().email().optional(),
  [STACK_OUTPUT.scheduleGroupName]: z.string().min(1),
  [STACK_OUTPUT.retireFunctionArn]: z.string().min(1),
  [STACK_OUTPUT.remindFunctionArn]: z.string().min(1),
  [STACK_OUTPUT.schedulerRoleArn]: z.string().min(1),
  [STACK_OUTPUT.schedulerDlqArn]: z.string().min(1),
  [STACK_OUTPUT.jobFailureQueueUrl]: z.string().url(),
  [STACK_OUTPUT.schedulerDlqUrl]: z.string().url(),
  [STACK_OUTPUT.plans]: jsonOutput(plansConfigSchema).optional(),
  [STACK_OUTPUT.usagePlanIds]: jsonOutput(z.record(z.string().regex(PLAN_NAME_PATTERN), z.string().min(1))).optional(),
});

/** What the CLI needs from a deployed stack. */
export interface StackSettings {
  stackName: string;
  tableName: string;
  tokenKeyArn: string;
  keyPrefix: string;
  catalog: readonly string[];
  failureQueueUrl: string;
  /** Undefined when the stack sends no email. */
  senderAddress?: string;
  /** The stack's plans and each one's usage plan id; undefined when the stack has no plans (API.md §9). */
  plans?: { config: PlansConfig; usagePlanIds: Readonly<Record<string, string>> };
  /** Where failed lifecycle jobs are parked: the functions' on-failure destination, then the scheduler's DLQ. */
  jobQueueUrls: readonly string[];
  /** The variables the Lambda functions get for EventBridge Scheduler (config.ts `schedulerConfig`). */
  schedulerEnvironment: Record<
    'SCHEDULE_GROUP_NAME' | 'RETIRE_FUNCTION_ARN' | 'REMIND_FUNCTION_ARN' | 'SCHEDULER_ROLE_ARN' | 'SCHEDULER_DLQ_ARN',
    string
  >;
}

/**
 * The stack's outputs (name → value) as the CLI's settings; throws naming each missing or bad
 * output (a stack deployed by an older keyward lacks some: redeploy it).
 */
export function parseStackOutputs(stackName: string, outputs: Record<string, string>): StackSettings {
  const parsed = outputsSchema.safeParse(outputs);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    throw new Error(`stack ${stackName} lacks the outputs the keyward CLI needs (${problems}); deploy it with this version of keyward`);
  }
  const o = parsed.data;
  return {
    stackName,
    tableName: o.TableName,
    tokenKeyArn: o.TokenKeyArn,
    keyPrefix: o.KeyPrefix,
    catalog: o.ResourceCatalog,
    failureQueueUrl: o.NotifierFailureQueueUrl,
    ...(o.SenderAddress ? { senderAddress: o.SenderAddress } : {}),
    ...(o.Plans && o.UsagePlanIds ? { plans: { config: o.Plans, usagePlanIds: o.UsagePlanIds } } : {}),
    jobQueueUrls: [o.JobFailureQueueUrl, o.RetirementDlqUrl],
    schedulerEnvironment: {
      SCHEDULE_GROUP_NAME: o.ScheduleGroupName,
      RETIRE_FUNCTION_ARN: o.RetireFunctionArn,
      REMIND_FUNCTION_ARN: o.RemindFunctionArn,
      SCHEDULER_ROLE_ARN: o.SchedulerRoleArn,
      SCHEDULER_DLQ_ARN: o.SchedulerDlqArn,
    },
  };
}
