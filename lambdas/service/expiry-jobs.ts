import type { StoredApiKey } from '../domain/api-key';
import type { ReminderJob, RetirementJob, RetirementScheduler } from '../domain/ports';
import { logger } from '../observability/logger';

/** The jobs of one expiry of one key: its retirement, and the reminder marks that were scheduled. */
export type ExpiryJobSet = Pick<StoredApiKey, 'organizationId' | 'id' | 'expiresAt' | 'retirementJobId' | 'reminderMarks'>;

/**
 * The lifecycle jobs of a key's expiry (DESIGN.md "Lifecycle jobs"): created once the change's
 * rules pass and before its transaction (so no committed expiry is ever without its jobs), removed
 * when the transaction does not commit or the expiry ends (moved, cleared, rotated out, deleted).
 */
export class ExpiryJobs {
  constructor(private readonly scheduler: RetirementScheduler | undefined) {}

  get available(): boolean {
    return this.scheduler !== undefined;
  }

  /**
   * Creates the retirement job of `expiresAt` and a reminder job for each of `marks` still ahead,
   * all under the id `id`; returns the marks it scheduled (to be stored with the key).
   */
  async schedule(
    target: { organizationId: string; apiKeyId: string; expiresAt: string; id: string },
    marks: readonly number[],
  ): Promise<number[]> {
    const scheduler = this.require();
    await scheduler.scheduleRetirement(target);
    const scheduled: number[] = [];
    for (const markDays of marks) {
      if (await scheduler.scheduleReminder({ ...target, markDays })) scheduled.push(markDays);
    }
    return scheduled;
  }

  /**
   * Removes every job of the key's current expiry. Best effort: a job left behind is harmless (its
   * handler re-reads the key and does nothing), so a failure is logged and never turns the
   * caller's answer into an error.
   */
  async cancel(key: ExpiryJobSet, reason: string): Promise<void> {
    if (key.expiresAt === null || !this.scheduler) return;
    const retirement: RetirementJob = {
      organizationId: key.organizationId,
      apiKeyId: key.id,
      expiresAt: key.expiresAt,
      ...(key.retirementJobId ? { id: key.retirementJobId } : {}),
    };
    const reminders: ReminderJob[] = key.retirementJobId
      ? (key.reminderMarks ?? []).map((markDays) => ({ ...retirement, id: key.retirementJobId!, markDays }))
      : [];
    const scheduler = this.scheduler;
    const results = await Promise.allSettled([
      scheduler.cancelRetirement(retirement),
      ...reminders.map((reminder) => scheduler.cancelReminder(reminder)),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') {
        logger.warn('lifecycle job not removed; it will find nothing to do', {
          reason,
          organization_id: key.organizationId,
          api_key_id: key.id,
          expires_at: key.expiresAt,
          error: result.reason instanceof Error ? result.reason.message : String(result.reason),
        });
      }
    }
  }

  private require(): RetirementScheduler {
    if (!this.scheduler) throw new Error('an expiring key needs a RetirementScheduler');
    return this.scheduler;
  }
}
