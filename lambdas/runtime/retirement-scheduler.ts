import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeRetirementScheduler } from '../adapters/eventbridge-retirement-scheduler';
import { LocalRetirementScheduler } from '../adapters/local-retirement-scheduler';
import type { RetirementScheduler } from '../domain/ports';
import { schedulerConfig } from './config';

/** One client per execution environment, created only by a function that schedules (STYLE.md rule 4). */
let client: SchedulerClient | undefined;

/**
 * The scheduler the environment asks for: EventBridge Scheduler when SCHEDULE_GROUP_NAME (with its
 * four companions) is set, the local job directory when LOCAL_SCHEDULE_DIR is set, else none.
 * Throws, naming the variables, when the AWS set is incomplete.
 */
export function createRetirementScheduler(env: NodeJS.ProcessEnv = process.env): RetirementScheduler | undefined {
  const config = schedulerConfig(env);
  switch (config.kind) {
    case 'eventbridge':
      client ??= new SchedulerClient({});
      return new EventBridgeRetirementScheduler({
        client,
        groupName: config.groupName,
        retireFunctionArn: config.retireFunctionArn,
        remindFunctionArn: config.remindFunctionArn,
        roleArn: config.roleArn,
        deadLetterArn: config.deadLetterArn,
      });
    case 'local':
      return new LocalRetirementScheduler(config.dir, { dayMs: config.reminderDayMs });
    case 'none':
      return undefined;
  }
}
