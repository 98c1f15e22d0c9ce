import type { Clock } from '../../lambdas/domain/clock';
import { isReminderAhead } from '../../lambdas/domain/expiry';
import type {
  Mailer,
  OutgoingEmail,
  ReminderJob,
  RetirementJob,
  RetirementScheduler,
  SecretBox,
  SecretContext,
} from '../../lambdas/domain/ports';

/**
 * A reversible SecretBox for tests that are not about encryption: it binds the ciphertext to its
 * context like the real adapters do, so a mix-up still fails loudly.
 */
export const plainSecretBox: SecretBox = {
  async encrypt(plaintext: string, context: SecretContext) {
    return Buffer.from(JSON.stringify({ plaintext, context })).toString('base64');
  },
  async decrypt(ciphertext: string, context: SecretContext) {
    const sealed = JSON.parse(Buffer.from(ciphertext, 'base64').toString()) as { plaintext: string; context: SecretContext };
    if (JSON.stringify(sealed.context) !== JSON.stringify(context)) throw new Error('encryption context mismatch');
    return sealed.plaintext;
  },
};

/** A Mailer that records what it was asked to send, with SES's recipient limit; `failures` makes the next sends throw. */
export class RecordingMailer implements Mailer {
  readonly maxRecipients = 50;
  readonly sent: OutgoingEmail[] = [];
  failures = 0;

  async send(email: OutgoingEmail): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('SES unavailable');
    }
    this.sent.push(email);
  }
}

/** A RetirementScheduler that keeps its pending jobs in memory: what is scheduled and not cancelled. */
export class InMemoryScheduler implements RetirementScheduler {
  readonly pending: RetirementJob[] = [];
  readonly reminders: ReminderJob[] = [];

  /** Without a clock, every reminder counts as ahead. */
  constructor(private readonly clock?: Clock) {}

  async scheduleReminder(job: ReminderJob): Promise<boolean> {
    if (this.clock && !isReminderAhead(job.expiresAt, job.markDays, this.clock.now())) return false;
    this.reminders.push(job);
    return true;
  }

  async cancelReminder(job: ReminderJob): Promise<void> {
    const index = this.reminders.findIndex((pending) => JSON.stringify(pending) === JSON.stringify(job));
    if (index >= 0) this.reminders.splice(index, 1);
  }

  async scheduleRetirement(job: RetirementJob): Promise<void> {
    this.pending.push(job);
  }

  async cancelRetirement(job: RetirementJob): Promise<void> {
    const index = this.pending.findIndex((pending) => JSON.stringify(pending) === JSON.stringify(job));
    if (index >= 0) this.pending.splice(index, 1);
  }
}

/**
 * A stack's EventBridge Scheduler settings, for tests that need what the adapter builds from a job
 * (the schedule expression, the target's `Input`) and never send it.
 */
export const SCHEDULER_OPTIONS = {
  client: undefined as never,
  groupName: 'keyward-test-retirements',
  retireFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:keyward-test-retire-api-key',
  remindFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:keyward-test-remind-api-key-expiry',
  roleArn: 'arn:aws:iam::111122223333:role/keyward-test-scheduler',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:keyward-test-scheduler-dlq',
};
