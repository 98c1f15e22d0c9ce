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

/** The outputs only a redrive reads (`keyward notifications redrive`, `keyward jobs redrive`). */
const QUEUE_OUTPUTS = [STACK_OUTPUT.notifierFailureQueueUrl, STACK_OUTPUT.jobFailureQueueUrl, STACK_OUTPUT.schedulerDlqUrl] as const;
type QueueOutput = (typeof QUEUE_OUTPUTS)[number];

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
  [STACK_OUTPUT.senderAddress]: z.string().email().optional(),
  [STACK_OUTPUT.scheduleGroupName]: z.string().min(1),
  [STACK_OUTPUT.retireFunctionArn]: z.string().min(1),
  [STACK_OUTPUT.remindFunctionArn]: z.string().min(1),
  [STACK_OUTPUT.schedulerRoleArn]: z.string().min(1),
  [STACK_OUTPUT.schedulerDlqArn]: z.string().min(1),
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
  /**
   * The failure queues' outputs as the stack gives them, unchecked: only the redrives read them,
   * through `notifierFailureQueueUrl` and `jobQueueUrls`, so a stack that lacks one still serves
   * every other command.
   */
  queueOutputs: Readonly<Partial<Record<QueueOutput, string>>>;
  /** Undefined when the stack sends no email. */
  senderAddress?: string;
  /** The stack's plans and each one's usage plan id; undefined when the stack has no plans (API.md §9). */
  plans?: { config: PlansConfig; usagePlanIds: Readonly<Record<string, string>> };
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
    queueOutputs: Object.fromEntries(QUEUE_OUTPUTS.flatMap((name) => (outputs[name] === undefined ? [] : [[name, outputs[name]]]))),
    ...(o.SenderAddress ? { senderAddress: o.SenderAddress } : {}),
    ...(o.Plans && o.UsagePlanIds ? { plans: { config: o.Plans, usagePlanIds: o.UsagePlanIds } } : {}),
    schedulerEnvironment: {
      SCHEDULE_GROUP_NAME: o.ScheduleGroupName,
      RETIRE_FUNCTION_ARN: o.RetireFunctionArn,
      REMIND_FUNCTION_ARN: o.RemindFunctionArn,
      SCHEDULER_ROLE_ARN: o.SchedulerRoleArn,
      SCHEDULER_DLQ_ARN: o.SchedulerDlqArn,
    },
  };
}

/** The queue URLs of `names`, checked now; throws naming each missing or bad one and the command that needs them. */
function queueUrls(stack: StackSettings, names: readonly QueueOutput[], command: string): string[] {
  const problems: string[] = [];
  const urls = names.map((name) => {
    const checked = z.string().url().safeParse(stack.queueOutputs[name]);
    if (!checked.success) problems.push(`${name} ${checked.error.issues.map((issue) => issue.message).join(', ')}`);
    return checked.data ?? '';
  });
  if (problems.length > 0) {
    throw new Error(
      `stack ${stack.stackName} lacks the outputs \`keyward ${command}\` needs (${problems.join('; ')}); deploy it with this version of keyward`,
    );
  }
  return urls;
}

/** The notifier's failure queue, for `keyward notifications redrive`. */
export function notifierFailureQueueUrl(stack: StackSettings): string {
  return queueUrls(stack, [STACK_OUTPUT.notifierFailureQueueUrl], 'notifications redrive')[0]!;
}

/** Where failed lifecycle jobs are parked, for `keyward jobs redrive`: the functions' on-failure destination, then the scheduler's DLQ. */
export function jobQueueUrls(stack: StackSettings): string[] {
  return queueUrls(stack, [STACK_OUTPUT.jobFailureQueueUrl, STACK_OUTPUT.schedulerDlqUrl], 'jobs redrive');
}
