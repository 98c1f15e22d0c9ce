import type { ExpirySource, StoredApiKey } from '../domain/api-key';
import { DomainError } from '../domain/errors';
import type { OrganizationSettings } from '../domain/expiry';
import { type ReminderJob, type RetirementJob, type RetirementScheduler, StaleState } from '../domain/ports';
import { logger } from '../observability/logger';

/** The jobs of one expiry of one key: its retirement, and the reminder marks that were scheduled. */
export type ExpiryJobSet = Pick<StoredApiKey, 'organizationId' | 'id' | 'expiresAt' | 'retirementJobId' | 'reminderMarks'>;

/**
 * The lifecycle jobs of a key's expiry (DESIGN.md "Lifecycle jobs"): created once the change's
 * rules pass and before its transaction (so no committed expiry is ever without its jobs), removed
 * when the transaction does not commit or the expiry ends (moved, cleared, rotated out, deleted).
 */
export class ExpiryJobs {
  constructor(
    private readonly scheduler: RetirementScheduler | undefined,
    /** The id a key's jobs share (stored as its `retirementJobId`). */
    private readonly newId: () => string,
  ) {}

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

  /** `key` with `expiry` and the jobs that carry it out (none for a policy expiry without a scheduler). */
  async attach(
    key: StoredApiKey,
    expiry: { expiresAt: string; expirySource: ExpirySource },
    settings: OrganizationSettings,
  ): Promise<StoredApiKey> {
    if (!this.available && expiry.expirySource === 'policy') {
      logger.warn('no scheduler: a key expiring by policy gets no lifecycle jobs', {
        organization_id: key.organizationId,
        api_key_id: key.id,
      });
      return { ...key, ...expiry, retirementJobId: null, reminderMarks: [] };
    }
    const id = this.newId();
    const reminderMarks = await this.schedule(
      { organizationId: key.organizationId, apiKeyId: key.id, expiresAt: expiry.expiresAt, id },
      settings.expiryReminderDays,
    );
    return { ...key, ...expiry, retirementJobId: id, reminderMarks };
  }

  /**
   * Runs a change whose keys' jobs were just created; when the store refuses it (nothing was
   * written), removes them. A failure the store did not explain (a timeout, an outage) may hide a
   * committed change, which must keep its jobs; a job of a change that never committed does
   * nothing when it runs.
   */
  async undoUnlessCommitted<T>(created: ExpiryJobSet[], reason: string, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (isRefusal(error)) await Promise.all(created.map((jobs) => this.cancel(jobs, reason)));
      throw error;
    }
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

/** The store refused the change: its transaction was cancelled, so nothing was written. */
function isRefusal(error: unknown): boolean {
  return error instanceof DomainError || error instanceof StaleState;
}
