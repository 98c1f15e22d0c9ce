import { createHash } from 'node:crypto';
import {
  ActionAfterCompletion,
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  FlexibleTimeWindowMode,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { z } from 'zod';
import { type Clock, systemClock } from '../domain/clock';
import { DAY_MS, isReminderAhead, reminderTime } from '../domain/expiry';
import type { ReminderJob, RetirementJob, RetirementScheduler } from '../domain/ports';

/**
 * What the retire function receives from a schedule (lambdas/retire-api-key.ts); the local
 * scheduler writes the same payload, so both paths run one handler.
 */
export const retirementPayloadSchema = z.object({
  organization_id: z.string().min(1),
  api_key_id: z.string().min(1),
  expires_at: z.iso.datetime(),
});
export type RetirementPayload = z.infer<typeof retirementPayloadSchema>;

export function retirementPayload(job: RetirementJob): RetirementPayload {
  return { organization_id: job.organizationId, api_key_id: job.apiKeyId, expires_at: job.expiresAt };
}

/**
 * What the reminder function receives (lambdas/remind-api-key-expiry.ts): the key, the expiry the
 * reminder is about, the mark (days before it) and when it was due (`remind_at`, which the local
 * loop fires at).
 */
export const reminderPayloadSchema = retirementPayloadSchema.extend({
  mark_days: z.int().min(1),
  remind_at: z.iso.datetime(),
});
export type ReminderPayload = z.infer<typeof reminderPayloadSchema>;

export function reminderPayload(job: ReminderJob, dayMs = DAY_MS): ReminderPayload {
  return { ...retirementPayload(job), mark_days: job.markDays, remind_at: reminderTime(job.expiresAt, job.markDays, dayMs).toISOString() };
}

/** A lifecycle job as its function receives it: a retirement, or a reminder (which carries its mark). */
export type LifecycleJob = { kind: 'retire'; payload: RetirementPayload } | { kind: 'remind'; payload: ReminderPayload };

/** The job a payload is, or undefined when it is neither (the local loop and `keyward jobs redrive` tell them apart so). */
export function lifecycleJobOf(payload: unknown): LifecycleJob | undefined {
  const reminder = reminderPayloadSchema.safeParse(payload);
  if (reminder.success) return { kind: 'remind', payload: reminder.data };
  const retirement = retirementPayloadSchema.safeParse(payload);
  return retirement.success ? { kind: 'retire', payload: retirement.data } : undefined;
}

export interface EventBridgeRetirementSchedulerOptions {
  client: SchedulerClient;
  /** The stack's schedule group, so the schedules are scoped (and cleaned up) with the stack. */
  groupName: string;
  retireFunctionArn: string;
  /** The function that sends expiry reminders. */
  remindFunctionArn: string;
  /** The role EventBridge Scheduler assumes to invoke the retire and remind functions. */
  roleArn: string;
  /** SQS queue that receives an invocation that exhausted its retries. */
  deadLetterArn: string;
  /** @default 10 */
  maximumRetryAttempts?: number;
  /** @default 86400 (a day: the authorizer already refuses the key, the job only tidies up) */
  maximumEventAgeInSeconds?: number;
  /** Decides which reminders are still ahead. @default systemClock */
  clock?: Clock;
}

/** Schedule names: 1-64 of `[0-9a-zA-Z-_.]`. */
const NAME_UNSAFE = /[^0-9A-Za-z_.-]/g;

/**
 * The name is a function of the job alone, and the job's id is unique per rotation request: the
 * SDK's own retry of a CreateSchedule that did succeed gets ConflictException for the same job,
 * while a concurrent request, even for the same key and expiry, names its own schedule, so
 * removing a refused request's job can never remove the job of the request that committed. The
 * key id is kept readable for operators; the hash covers organization, key, expiry and job id (a
 * job without an id is named as schedules were before jobs had ids, so those can be removed too).
 */
export function scheduleName(job: RetirementJob): string {
  return jobName('retire', [job.organizationId, job.apiKeyId, job.expiresAt, ...(job.id === undefined ? [] : [job.id])], job.apiKeyId);
}

/** A reminder's schedule name: as a retirement's, per mark (`remind-<key id>-<hash>`, at most 56 characters). */
export function reminderScheduleName(job: ReminderJob): string {
  return jobName('remind', [job.organizationId, job.apiKeyId, job.expiresAt, job.id, String(job.markDays)], job.apiKeyId);
}

function jobName(kind: 'retire' | 'remind', parts: string[], apiKeyId: string): string {
  const digest = createHash('sha256').update(parts.join('\n')).digest('hex');
  return `${kind}-${apiKeyId.replace(NAME_UNSAFE, '').slice(0, 32)}-${digest.slice(0, 16)}`;
}

/**
 * `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the next whole second: rounding down would fire
 * before `expires_at`, while the key is still in its grace period.
 */
export function atExpression(expiresAt: string): string {
  const at = new Date(Math.ceil(Date.parse(expiresAt) / 1000) * 1000);
  return `at(${at.toISOString().slice(0, 19)})`;
}

/**
 * One-shot EventBridge Scheduler schedules that invoke the retire Lambda at the key's expiry, and
 * the remind Lambda at each reminder mark before it.
 */
export class EventBridgeRetirementScheduler implements RetirementScheduler {
  constructor(private readonly options: EventBridgeRetirementSchedulerOptions) {}

  createScheduleInput(job: RetirementJob): CreateScheduleCommandInput {
    return this.oneShot({
      name: scheduleName(job),
      at: job.expiresAt,
      description: `Retire API key ${job.apiKeyId} of ${job.organizationId} at ${job.expiresAt}`,
      target: this.options.retireFunctionArn,
      payload: retirementPayload(job),
    });
  }

  createReminderInput(job: ReminderJob): CreateScheduleCommandInput {
    const payload = reminderPayload(job);
    return this.oneShot({
      name: reminderScheduleName(job),
      at: payload.remind_at,
      description: `Remind the admins ${job.markDays} day(s) before API key ${job.apiKeyId} of ${job.organizationId} expires at ${job.expiresAt}`,
      target: this.options.remindFunctionArn,
      payload,
    });
  }

  private oneShot(input: { name: string; at: string; description: string; target: string; payload: object }): CreateScheduleCommandInput {
    const { groupName, roleArn, deadLetterArn } = this.options;
    return {
      Name: input.name,
      GroupName: groupName,
      ScheduleExpression: atExpression(input.at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
      ActionAfterCompletion: ActionAfterCompletion.DELETE,
      Description: input.description.slice(0, 512),
      Target: {
        Arn: input.target,
        RoleArn: roleArn,
        Input: JSON.stringify(input.payload),
        RetryPolicy: {
          MaximumRetryAttempts: this.options.maximumRetryAttempts ?? 10,
          MaximumEventAgeInSeconds: this.options.maximumEventAgeInSeconds ?? 86_400,
        },
        DeadLetterConfig: { Arn: deadLetterArn },
      },
    };
  }

  async scheduleRetirement(job: RetirementJob): Promise<void> {
    await this.create(this.createScheduleInput(job));
  }

  async cancelRetirement(job: RetirementJob): Promise<void> {
    await this.remove(scheduleName(job));
  }

  async scheduleReminder(job: ReminderJob): Promise<boolean> {
    if (!isReminderAhead(job.expiresAt, job.markDays, (this.options.clock ?? systemClock).now())) return false;
    await this.create(this.createReminderInput(job));
    return true;
  }

  async cancelReminder(job: ReminderJob): Promise<void> {
    await this.remove(reminderScheduleName(job));
  }

  private async create(input: CreateScheduleCommandInput): Promise<void> {
    try {
      await this.options.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      // The same name means the same job: an earlier attempt already created it.
      if (error instanceof ConflictException) return;
      throw error;
    }
  }

  private async remove(name: string): Promise<void> {
    try {
      await this.options.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      // Never created, or it ran and deleted itself (ActionAfterCompletion DELETE): nothing to do.
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
  }
}
