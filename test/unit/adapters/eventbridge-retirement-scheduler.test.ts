import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import {
  atExpression,
  EventBridgeRetirementScheduler,
  reminderScheduleName,
  scheduleName,
} from '../../../lambdas/adapters/eventbridge-retirement-scheduler';
import { LocalRetirementScheduler } from '../../../lambdas/adapters/local-retirement-scheduler';
import { ManualClock } from '../../../lambdas/domain/clock';
import { createRetirementScheduler } from '../../../lambdas/runtime/retirement-scheduler';

const scheduler = mockClient(SchedulerClient);

const JOB = { organizationId: 'acme', apiKeyId: '01KAXQ3N8Y4B5C6D7E8F9G0H1J', expiresAt: '2026-11-27T04:00:00.250Z' };
const OPTIONS = {
  client: new SchedulerClient({ region: 'eu-west-1' }),
  groupName: 'keyward-prod',
  retireFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keyward-prod-retire',
  remindFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keyward-prod-remind',
  roleArn: 'arn:aws:iam::123456789012:role/keyward-prod-scheduler',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:keyward-prod-retire-dlq',
};

describe('EventBridgeRetirementScheduler', () => {
  beforeEach(() => scheduler.reset());

  it('creates a one-shot UTC schedule that invokes the retire function with the job payload', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:::schedule/x' });

    await new EventBridgeRetirementScheduler(OPTIONS).scheduleRetirement(JOB);

    const calls = scheduler.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Name: scheduleName(JOB),
      GroupName: 'keyward-prod',
      ScheduleExpression: 'at(2026-11-27T04:00:01)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: 'Retire API key 01KAXQ3N8Y4B5C6D7E8F9G0H1J of acme at 2026-11-27T04:00:00.250Z',
      Target: {
        Arn: OPTIONS.retireFunctionArn,
        RoleArn: OPTIONS.roleArn,
        Input: JSON.stringify({ organization_id: 'acme', api_key_id: JOB.apiKeyId, expires_at: JOB.expiresAt }),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: OPTIONS.deadLetterArn },
      },
    });
  });

  it('treats ConflictException (the same job created by an earlier attempt) as success', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));

    await expect(new EventBridgeRetirementScheduler(OPTIONS).scheduleRetirement(JOB)).resolves.toBeUndefined();
  });

  it('propagates any other failure, so the rotation is not committed without its job', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));

    await expect(new EventBridgeRetirementScheduler(OPTIONS).scheduleRetirement(JOB)).rejects.toThrow('bad');
  });

  it('sends the same name for the same job, so a retried rotation cannot create a second schedule', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    const adapter = new EventBridgeRetirementScheduler(OPTIONS);

    await adapter.scheduleRetirement(JOB);
    await adapter.scheduleRetirement({ ...JOB });

    const names = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input.Name);
    expect(names[0]).toBe(names[1]);
  });

  it('cancels a job by deleting exactly its schedule from the group', async () => {
    scheduler.on(DeleteScheduleCommand).resolves({});
    const job = { ...JOB, id: '01KAXQ3N8Y4B5C6D7E8F9G0H2K' };

    await new EventBridgeRetirementScheduler(OPTIONS).cancelRetirement(job);

    const calls = scheduler.commandCalls(DeleteScheduleCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{ Name: scheduleName(job), GroupName: 'keyward-prod' }]);
  });

  it('treats a schedule that is already gone (ran, or never created) as cancelled', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));

    await expect(new EventBridgeRetirementScheduler(OPTIONS).cancelRetirement(JOB)).resolves.toBeUndefined();
  });

  it('propagates any other failure to cancel, so the caller can report the job it left', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new ThrottlingException({ message: 'slow down', Message: 'slow down', $metadata: {} }));

    await expect(new EventBridgeRetirementScheduler(OPTIONS).cancelRetirement(JOB)).rejects.toThrow('slow down');
  });
});

describe('scheduleName', () => {
  it('fits the 64-character limit and allowed characters, even for long ids', () => {
    const name = scheduleName({ organizationId: 'o'.repeat(64), apiKeyId: 'k/'.repeat(50), expiresAt: JOB.expiresAt });
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[0-9A-Za-z_.-]+$/);
  });

  it('differs when the organization, the key, the expiry or the job id differs', () => {
    const names = new Set([
      scheduleName(JOB),
      scheduleName({ ...JOB, organizationId: 'other' }),
      scheduleName({ ...JOB, apiKeyId: '01KAXQ3N8Y4B5C6D7E8F9G0H1K' }),
      scheduleName({ ...JOB, expiresAt: '2026-11-27T04:00:00.251Z' }),
      scheduleName({ ...JOB, id: 'request-1' }),
      scheduleName({ ...JOB, id: 'request-2' }),
    ]);
    expect(names.size).toBe(6);
  });

  it('names a job without an id as schedules were named before jobs had ids, so deleting such a key can remove its schedule', () => {
    expect(scheduleName(JOB)).toBe('retire-01KAXQ3N8Y4B5C6D7E8F9G0H1J-47841ac5c3fa9197');
  });
});

describe('atExpression', () => {
  it('rounds a fractional second up, never firing before expires_at', () => {
    expect(atExpression('2026-11-27T04:00:00.001Z')).toBe('at(2026-11-27T04:00:01)');
    expect(atExpression('2026-12-31T23:59:59.999Z')).toBe('at(2027-01-01T00:00:00)');
  });

  it('keeps a whole second as is', () => {
    expect(atExpression('2026-11-27T04:00:00.000Z')).toBe('at(2026-11-27T04:00:00)');
  });
});

describe('EventBridgeRetirementScheduler reminders', () => {
  beforeEach(() => scheduler.reset());
  const clock = new ManualClock('2026-11-20T04:00:00.000Z');
  const REMINDER = { ...JOB, id: '01KAXQ3N8Y4B5C6D7E8F9G0H1K', markDays: 1 };

  it('creates a one-shot schedule that invokes the remind function a mark before the expiry', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    await expect(new EventBridgeRetirementScheduler({ ...OPTIONS, clock }).scheduleReminder(REMINDER)).resolves.toBe(true);
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      Name: reminderScheduleName(REMINDER),
      GroupName: 'keyward-prod',
      ScheduleExpression: 'at(2026-11-26T04:00:01)',
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: OPTIONS.remindFunctionArn, RoleArn: OPTIONS.roleArn, DeadLetterConfig: { Arn: OPTIONS.deadLetterArn } },
    });
    expect(JSON.parse(input.Target!.Input!)).toEqual({
      organization_id: 'acme',
      api_key_id: JOB.apiKeyId,
      expires_at: JOB.expiresAt,
      mark_days: 1,
      remind_at: '2026-11-26T04:00:00.250Z',
    });
  });

  it('creates nothing for a mark that is already behind', async () => {
    const late = new ManualClock('2026-11-26T05:00:00.000Z');
    await expect(new EventBridgeRetirementScheduler({ ...OPTIONS, clock: late }).scheduleReminder(REMINDER)).resolves.toBe(false);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });

  it('names each mark of each expiry apart, within the 64 characters a schedule name allows', () => {
    const names = new Set([
      reminderScheduleName(REMINDER),
      reminderScheduleName({ ...REMINDER, markDays: 7 }),
      reminderScheduleName({ ...REMINDER, id: 'another' }),
      reminderScheduleName({ ...REMINDER, expiresAt: '2026-11-28T04:00:00.000Z' }),
      scheduleName(REMINDER),
    ]);
    expect(names.size).toBe(5);
    for (const name of names) expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
  });

  it('deletes the reminder schedule by its name, and a missing one is no error', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));
    await expect(new EventBridgeRetirementScheduler(OPTIONS).cancelReminder(REMINDER)).resolves.toBeUndefined();
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({
      Name: reminderScheduleName(REMINDER),
      GroupName: 'keyward-prod',
    });
  });
});

describe('createRetirementScheduler', () => {
  const AWS_ENV = {
    SCHEDULE_GROUP_NAME: OPTIONS.groupName,
    RETIRE_FUNCTION_ARN: OPTIONS.retireFunctionArn,
    REMIND_FUNCTION_ARN: OPTIONS.remindFunctionArn,
    SCHEDULER_ROLE_ARN: OPTIONS.roleArn,
    SCHEDULER_DLQ_ARN: OPTIONS.deadLetterArn,
  };

  it('builds the EventBridge adapter from the five AWS variables', () => {
    expect(createRetirementScheduler(AWS_ENV)).toBeInstanceOf(EventBridgeRetirementScheduler);
  });

  it('refuses an incomplete AWS configuration, naming the variables', () => {
    expect(() => createRetirementScheduler({ ...AWS_ENV, SCHEDULER_DLQ_ARN: undefined })).toThrow(/SCHEDULER_DLQ_ARN/);
  });

  it('builds the local adapter from LOCAL_SCHEDULE_DIR', () => {
    expect(createRetirementScheduler({ LOCAL_SCHEDULE_DIR: '/tmp/keyward-schedules' })).toBeInstanceOf(LocalRetirementScheduler);
  });

  it('returns no scheduler when nothing is configured', () => {
    expect(createRetirementScheduler({})).toBeUndefined();
  });
});
