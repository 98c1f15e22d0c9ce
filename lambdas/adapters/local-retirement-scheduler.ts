import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../domain/clock';
import { DAY_MS, isReminderAhead } from '../domain/expiry';
import type { ReminderJob, RetirementJob, RetirementScheduler } from '../domain/ports';
import { reminderPayload, reminderScheduleName, retirementPayload, scheduleName } from './eventbridge-retirement-scheduler';

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** Job files are `<schedule name>.json`; the loop (local/retirement-loop.ts) reads only these. */
export const JOB_FILE_SUFFIX = '.json';

export function jobFileName(job: RetirementJob): string {
  return `${scheduleName(job)}${JOB_FILE_SUFFIX}`;
}

export function reminderFileName(job: ReminderJob): string {
  return `${reminderScheduleName(job)}${JOB_FILE_SUFFIX}`;
}

export interface LocalRetirementSchedulerOptions {
  /**
   * How long a reminder "day" is: a day, except when the local runtime's tests shorten it
   * (`LOCAL_REMINDER_DAY_MS`) to see reminders a few seconds ahead.
   * @default DAY_MS
   */
  dayMs?: number;
  clock?: Clock;
}

/**
 * The local stand-in for EventBridge Scheduler: one JSON file per job, holding exactly the payload
 * the schedule would send, so the jobs survive a restart of the local runtime. The file is written
 * to a dot-named temp file and renamed, so the loop never reads a half-written job; the name is
 * derived from the job (as the schedule's name in AWS), so scheduling the same job twice leaves
 * one file and cancelling a job removes exactly that file.
 */
export class LocalRetirementScheduler implements RetirementScheduler {
  private readonly dayMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly dir: string,
    options: LocalRetirementSchedulerOptions = {},
  ) {
    this.dayMs = options.dayMs ?? DAY_MS;
    this.clock = options.clock ?? systemClock;
  }

  async scheduleRetirement(job: RetirementJob): Promise<void> {
    await this.write(jobFileName(job), retirementPayload(job));
  }

  async cancelRetirement(job: RetirementJob): Promise<void> {
    await rm(join(this.dir, jobFileName(job)), { force: true });
  }

  async scheduleReminder(job: ReminderJob): Promise<boolean> {
    if (!isReminderAhead(job.expiresAt, job.markDays, this.clock.now(), this.dayMs)) return false;
    await this.write(reminderFileName(job), reminderPayload(job, this.dayMs));
    return true;
  }

  async cancelReminder(job: ReminderJob): Promise<void> {
    await rm(join(this.dir, reminderFileName(job)), { force: true });
  }

  /**
   * Owner-only (API.md §6: a job names an organization and a key), whoever writes it: the local
   * runtime runs under a private umask, the CLI under the operator's, and a mode given here holds
   * under both. A directory an earlier version created keeps its mode; the runtime tightens it.
   */
  private async write(file: string, payload: object): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const target = join(this.dir, file);
    const temp = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(payload)}\n`, { mode: PRIVATE_FILE_MODE });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
