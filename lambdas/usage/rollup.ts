import type { UsageRollupStore } from '../domain/ports';
import { rollableHours } from '../domain/usage-rollup';
import { logger } from '../observability/logger';
import { USAGE_RAW_DAYS } from '../table/layout';

/** What one run did, for its log line and the tests. */
export interface RollupSummary {
  /** Hours rolled in this run, oldest first. */
  rolled: string[];
  /** Hours left for the next run (the time budget ran out). */
  left: number;
}

export type UsageRollup = () => Promise<RollupSummary>;

/**
 * The usage rollup (API.md §9, docs/architecture.md "Usage"): run on a schedule (every 15 min in
 * AWS, every minute locally), it rolls every closed hour not rolled yet, oldest first, within the
 * raw tallies' lifetime: each key's hourly and daily counters get the hour's sums (each write
 * conditional on the counter not holding the hour yet), then the hour's marker is put, last. A
 * run that fails half way (the table) throws: the next run finishes the hour, adding nothing twice.
 * `budgetMs` leaves the rest of a long catch-up to the next run, before the function's timeout.
 */
export function createUsageRollup(deps: { store: UsageRollupStore; now?: () => number; budgetMs?: number }): UsageRollup {
  const now = deps.now ?? Date.now;
  const budgetMs = deps.budgetMs ?? 4 * 60_000;
  return async () => {
    const started = Date.now();
    const hours = await deps.store.unrolledHours(rollableHours(now(), USAGE_RAW_DAYS));
    const rolled: string[] = [];
    for (const hour of hours) {
      if (Date.now() - started > budgetMs) break;
      const result = await deps.store.rollUp(hour);
      await deps.store.markRolled(hour, result.keys);
      rolled.push(hour);
      if (result.tallies > 0) logger.info('usage hour rolled up', { hour, ...result });
    }
    const summary = { rolled, left: hours.length - rolled.length };
    if (hours.length > 0)
      logger.info('usage rollup run', { rolled: rolled.length, first: rolled[0], last: rolled.at(-1), left: summary.left });
    return summary;
  };
}
