/**
 * Per-key usage (API.md §9): what one access log line counts as, the UTC buckets it falls in, and
 * how many buckets one question may span. Pure: the aggregator (usage/aggregator.ts) feeds it the
 * access log, the store keeps the sums, the usage service answers with them.
 */

export type UsageGranularity = 'hour' | 'day';

export const USAGE_GRANULARITIES: readonly UsageGranularity[] = ['hour', 'day'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The length of one bucket. */
export const BUCKET_MS: Readonly<Record<UsageGranularity, number>> = { hour: HOUR_MS, day: DAY_MS };

/** The widest question per call (API.md §9): 31 days of hours, 400 days of days. */
export const MAX_USAGE_SPAN_DAYS: Readonly<Record<UsageGranularity, number>> = { hour: 31, day: 400 };

/** What the authorizer (or API Gateway after it) did with one request of a key. */
export type UsageOutcome = { kind: 'allowed' } | { kind: 'denied'; code: string } | { kind: 'throttled' };

/** One counted request: whose, when (epoch ms) and what happened to it. */
export interface UsageHit {
  organizationId: string;
  apiKeyId: string;
  at: number;
  outcome: UsageOutcome;
}

/** One key's counters in one bucket, as the API answers them. */
export interface UsageBucket {
  start: string;
  api_key_id: string;
  allowed: number;
  denied: Record<string, number>;
  throttled: number;
}

/** The sums one batch adds to one key's bucket. */
export interface UsageIncrement {
  organizationId: string;
  apiKeyId: string;
  granularity: UsageGranularity;
  /** The bucket's start, ISO-8601 UTC. */
  start: string;
  allowed: number;
  throttled: number;
  denied: Record<string, number>;
}

/** The start of the UTC bucket holding `ms` (hours and days both start on UTC boundaries). */
export function bucketStart(ms: number, granularity: UsageGranularity): string {
  const size = BUCKET_MS[granularity];
  return new Date(Math.floor(ms / size) * size).toISOString();
}

/** Ids as the table's keys hold them: anything else in a log line is not keyward's authorizer's context. */
const ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;
/** Denial codes are snake_case words (`write_action_not_allowed_for_customer`, `ip_not_allowed`). */
const CODE = /^[a-z][a-z0-9_]{0,99}$/;

/**
 * The fields of an access log line the count reads (`lambdas/observability/access-log-fields.ts`):
 * the lean ones (`o`, `k`, `s`, `d`), which both formats carry. The long names are those of the
 * lines written before the lean format (a batch delivered across the change holds both); they
 * count the same.
 */
export interface CountedFields {
  o?: string | undefined;
  k?: string | undefined;
  s?: string | undefined;
  d?: string | undefined;
  request_time_epoch?: string | undefined;
  organization_id?: string | undefined;
  api_key_id?: string | undefined;
  principal_id?: string | undefined;
  deny_code?: string | undefined;
  status?: string | undefined;
}

/**
 * What one access line counts as, or undefined when it is no key's request: no key was read (401,
 * a route the gateway refused first, a stage throttle before the authorizer) or the line is not
 * an access line. A request the authorizer allowed is `allowed` whatever the backend answered;
 * one it denied counts under its code; a 429 after the authorizer (the organization's plan) is
 * `throttled`. `fallbackMs` is the log event's own time (API Gateway's, for the request), used
 * when the line has none (the lean format carries none).
 */
export function classifyAccessLine(line: CountedFields, fallbackMs: number): UsageHit | undefined {
  const organizationId = line.o ?? line.organization_id;
  if (organizationId === undefined || !ID.test(organizationId)) return undefined;
  const code = line.d ?? line.deny_code;
  const denyCode = code !== undefined && CODE.test(code) ? code : undefined;
  const apiKeyId = [line.k, line.api_key_id, line.principal_id].find((id) => id !== undefined && ID.test(id));
  if (apiKeyId === undefined) return undefined;
  const epoch = Number(line.request_time_epoch);
  const at = Number.isFinite(epoch) && epoch > 0 ? epoch : fallbackMs;
  const outcome: UsageOutcome =
    (line.s ?? line.status) === '429'
      ? { kind: 'throttled' }
      : denyCode !== undefined
        ? { kind: 'denied', code: denyCode }
        : { kind: 'allowed' };
  return { organizationId, apiKeyId, at, outcome };
}

/** The hits summed per key, bucket and granularity (hourly and daily both), in a stable order. */
export function tallyUsage(hits: Iterable<UsageHit>): UsageIncrement[] {
  const sums = new Map<string, UsageIncrement>();
  for (const hit of hits) {
    for (const granularity of USAGE_GRANULARITIES) {
      const size = BUCKET_MS[granularity];
      const startMs = Math.floor(hit.at / size) * size;
      // Keyed by the bucket's epoch: the ISO string is made once per counter, not once per line.
      const id = `${hit.organizationId}\u0000${granularity}\u0000${startMs}\u0000${hit.apiKeyId}`;
      let sum = sums.get(id);
      if (!sum) {
        const start = new Date(startMs).toISOString();
        sum = { organizationId: hit.organizationId, apiKeyId: hit.apiKeyId, granularity, start, allowed: 0, throttled: 0, denied: {} };
        sums.set(id, sum);
      }
      if (hit.outcome.kind === 'allowed') sum.allowed += 1;
      else if (hit.outcome.kind === 'throttled') sum.throttled += 1;
      else sum.denied[hit.outcome.code] = (sum.denied[hit.outcome.code] ?? 0) + 1;
    }
  }
  // Sorted by what the table sorts by (organization, granularity, start, key): a batch's chunks are the same on every delivery.
  const order = (sum: UsageIncrement) => `${sum.organizationId}\u0000${sum.granularity}\u0000${sum.start}\u0000${sum.apiKeyId}`;
  return [...sums.values()]
    .map((sum) => [order(sum), sum] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, sum]) => sum);
}

/** A checked usage question: `[from, to)` on bucket boundaries, optionally one key. */
export interface UsageQuery {
  from: Date;
  to: Date;
  granularity: UsageGranularity;
  apiKeyId?: string | undefined;
}

/** Why a range cannot be answered (the field it names), or undefined when it can. */
export function usageRangeProblem(query: UsageQuery): { field: 'from' | 'to'; reason: string } | undefined {
  const span = query.to.getTime() - query.from.getTime();
  if (span <= 0) return { field: 'to', reason: 'must be after from' };
  const max = MAX_USAGE_SPAN_DAYS[query.granularity];
  if (span > max * DAY_MS) return { field: 'from', reason: `the range may span at most ${max} days with granularity ${query.granularity}` };
  return undefined;
}
