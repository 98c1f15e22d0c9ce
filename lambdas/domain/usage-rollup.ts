import { BUCKET_MS, type UsageBucket, type UsageGranularity, type UsageIncrement } from './usage';

/**
 * How usage is stored cheaply (DESIGN.md "Usage counts", docs/architecture.md): the aggregator
 * puts each log batch's per-key sums of one hour as one raw tally item (no transaction, a write
 * unit per KB), and the usage rollup adds a closed hour's tallies to the hourly and daily counters
 * once. Readers take a rolled hour from the counters and an hour not yet rolled from its tallies.
 * The times here keep the two apart: the aggregator puts no raw tally for an hour after
 * `RAW_CUTOFF_MS` past its end (later lines go to the counters directly, as "late"), and the
 * rollup reads an hour only `ROLLUP_MARGIN_MS` after its end, later than any raw put can land
 * (the aggregator's timeout is 60 s). Pure: no clock, no AWS.
 */

export const HOUR_MS = BUCKET_MS.hour;

/** After this much past an hour's end, a batch's lines of that hour are late: added to the counters directly. */
export const RAW_CUTOFF_MS = 10 * 60_000;

/** The rollup reads an hour this long after its end (more than the cut-off plus the aggregator's timeout). */
export const ROLLUP_MARGIN_MS = 15 * 60_000;

/**
 * Keys per raw chunk: a late chunk adds to an hourly and a daily counter per key in the same
 * transaction as its raw item (at most 100 items), and the chunks must be the same either way.
 */
export const KEYS_PER_RAW_CHUNK = 49;

/** One key's sums in one hour of one batch (the hourly increment without its granularity). */
export type RawEntry = Pick<UsageIncrement, 'organizationId' | 'apiKeyId' | 'allowed' | 'throttled' | 'denied'>;

/** One raw tally item: the entries of one chunk of one batch for one hour. */
export interface RawChunk {
  /** The hour's ISO start. */
  hour: string;
  chunk: number;
  entries: RawEntry[];
}

/** Whether lines of the hour starting at `hourStartMs`, counted at `nowMs`, are late. */
export function isLateHour(hourStartMs: number, nowMs: number): boolean {
  return nowMs >= hourStartMs + HOUR_MS + RAW_CUTOFF_MS;
}

/**
 * A batch's hourly sums (tallyUsage's `hour` increments, sorted) cut into raw chunks per hour, in
 * a fixed order: the same batch gives the same chunks on every delivery, whatever the clock.
 */
export function rawChunks(increments: readonly UsageIncrement[]): RawChunk[] {
  const byHour = new Map<string, RawEntry[]>();
  for (const { granularity, start, organizationId, apiKeyId, allowed, throttled, denied } of increments) {
    if (granularity !== 'hour') continue;
    let entries = byHour.get(start);
    if (!entries) byHour.set(start, (entries = []));
    entries.push({ organizationId, apiKeyId, allowed, throttled, denied });
  }
  const chunks: RawChunk[] = [];
  for (const [hour, entries] of [...byHour].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (let first = 0, chunk = 0; first < entries.length; first += KEYS_PER_RAW_CHUNK, chunk++) {
      chunks.push({ hour, chunk, entries: entries.slice(first, first + KEYS_PER_RAW_CHUNK) });
    }
  }
  return chunks;
}

/** The ISO starts of the hours in `[fromMs, toMs)` (`fromMs` rounded down to its hour). */
export function hoursIn(fromMs: number, toMs: number): string[] {
  const hours: string[] = [];
  for (let at = Math.floor(fromMs / HOUR_MS) * HOUR_MS; at < toMs; at += HOUR_MS) hours.push(new Date(at).toISOString());
  return hours;
}

/** The hours the rollup may roll at `nowMs`: closed for the margin, and young enough to have raw tallies. */
export function rollableHours(nowMs: number, rawDays: number): string[] {
  return hoursIn(nowMs - rawDays * BUCKET_MS.day, nowMs - HOUR_MS - ROLLUP_MARGIN_MS + 1);
}

/** The hour of the day (0-23) of an hour's ISO start: what a counter's `rolled_hours` holds. */
export function hourOfDay(hour: string): number {
  return new Date(hour).getUTCHours();
}

/** The start of the bucket of `granularity` holding an hour. */
function bucketOf(hour: string, granularity: UsageGranularity): string {
  const size = BUCKET_MS[granularity];
  return new Date(Math.floor(Date.parse(hour) / size) * size).toISOString();
}

/** A counter as read: the bucket, and the hours of the day already rolled into it. */
export interface StoredCounter {
  bucket: UsageBucket;
  rolledHours: ReadonlySet<number>;
}

/**
 * One organization's buckets: the counters, plus for each hour not rolled when read (`raw`: its
 * entries of this organization, late ones left out as the counters hold them) the entries of
 * each key whose counter does not list that hour yet. The rollup adds an hour's sums to a key's
 * counter and the hour to its `rolled_hours` in one write, so no request is counted twice
 * whenever the read falls during a rollup. Oldest first, then by key (as the table sorts them).
 */
export function mergeUsage(
  counters: readonly StoredCounter[],
  raw: ReadonlyMap<string, readonly RawEntry[]>,
  granularity: UsageGranularity,
): UsageBucket[] {
  const buckets = new Map<string, { bucket: UsageBucket; rolledHours: ReadonlySet<number> }>();
  const id = (start: string, apiKeyId: string) => `${start}#${apiKeyId}`;
  for (const counter of counters) {
    buckets.set(id(counter.bucket.start, counter.bucket.api_key_id), {
      bucket: { ...counter.bucket, denied: { ...counter.bucket.denied } },
      rolledHours: counter.rolledHours,
    });
  }
  for (const [hour, entries] of raw) {
    const start = bucketOf(hour, granularity);
    for (const entry of entries) {
      let held = buckets.get(id(start, entry.apiKeyId));
      if (held?.rolledHours.has(hourOfDay(hour))) continue;
      if (!held) {
        held = { bucket: { start, api_key_id: entry.apiKeyId, allowed: 0, denied: {}, throttled: 0 }, rolledHours: new Set() };
        buckets.set(id(start, entry.apiKeyId), held);
      }
      held.bucket.allowed += entry.allowed;
      held.bucket.throttled += entry.throttled;
      for (const [code, count] of Object.entries(entry.denied)) held.bucket.denied[code] = (held.bucket.denied[code] ?? 0) + count;
    }
  }
  return [...buckets]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { bucket }]) => bucket)
    .filter((bucket) => bucket.allowed + bucket.throttled + Object.values(bucket.denied).reduce((sum, count) => sum + count, 0) > 0);
}

/** A raw tally's entries summed per key: what the rollup adds to one hour's counters. */
export function sumEntries(entries: Iterable<RawEntry>): RawEntry[] {
  const sums = new Map<string, RawEntry>();
  for (const entry of entries) {
    const id = `${entry.organizationId}\u0000${entry.apiKeyId}`;
    let sum = sums.get(id);
    if (!sum)
      sums.set(id, (sum = { organizationId: entry.organizationId, apiKeyId: entry.apiKeyId, allowed: 0, throttled: 0, denied: {} }));
    sum.allowed += entry.allowed;
    sum.throttled += entry.throttled;
    for (const [code, count] of Object.entries(entry.denied)) sum.denied[code] = (sum.denied[code] ?? 0) + count;
  }
  return [...sums.values()];
}
