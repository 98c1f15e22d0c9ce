import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Decision } from '../domain/authorization';
import { type Clock, systemClock } from '../domain/clock';
import { logger } from './logger';
import { AUTHORIZER_METRICS, DENY_CODE_DIMENSION, UNAUTHORIZED_REASON_DIMENSION } from './metric-names';

/** Counts the api-key authorizer's decisions, one per request. */
export interface DecisionMetrics {
  record(decision: Decision): void;
}

const MINUTE_MS = 60_000;

/** One EMF document's worth: a dimension set beyond the defaults (none for the totals) and its counts. */
interface DimensionSetCounts {
  breakdown: Record<string, string> | undefined;
  counts: Map<string, number>;
}

/**
 * The decisions as EMF metrics (metric-names.ts): `Authorized`, `Denied` and `Unauthorized`, each
 * as a total over the default dimensions (service, FunctionName), and `Denied` per `code` and
 * `Unauthorized` per `reason`. The key and organization are never dimensions: they are in the
 * access log, which is where a key's traffic is attributed.
 *
 * Counted in memory and published once a minute, not once a request: a log line per request was
 * most of the authorizer's log bill (docs/operating.md, "Cost per million authorized requests").
 * A minute's counts are published by the first decision recorded after that minute closes, as one
 * EMF document per dimension set (the totals; each code; each reason) carrying the counts and
 * stamped with the minute's last millisecond, so CloudWatch files them under the minute they
 * happened in. The trade-off: an instance's last, partial minute is lost when Lambda shuts the
 * instance down (nothing runs after the last invocation); the counts are exact otherwise, and the
 * alarms that read them (`authorizer-denials`, `authorizer-401s`, …) compare rates over 5 minutes.
 * A minute is also published late when the instance is idle: at its next invocation.
 */
export function decisionMetrics(metrics: Metrics, clock: Clock = systemClock): DecisionMetrics {
  let minute: number | undefined;
  const sets = new Map<string, DimensionSetCounts>();

  function count(name: string, breakdown?: Record<string, string>): void {
    const id = breakdown ? JSON.stringify(breakdown) : '';
    let set = sets.get(id);
    if (!set) {
      set = { breakdown, counts: new Map() };
      sets.set(id, set);
    }
    set.counts.set(name, (set.counts.get(name) ?? 0) + 1);
  }

  function flush(closedMinute: number): void {
    const timestamp = (closedMinute + 1) * MINUTE_MS - 1;
    try {
      for (const set of sets.values()) {
        if (set.breakdown) metrics.addDimensions(set.breakdown);
        for (const [name, value] of set.counts) metrics.addMetric(name, MetricUnit.Count, value);
        metrics.setTimestamp(timestamp);
        metrics.publishStoredMetrics();
      }
    } catch (error) {
      // Metrics are bookkeeping: a minute that cannot be published must never turn a decision
      // around, nor leak into the next minute's documents.
      metrics.clearMetrics();
      metrics.clearDimensions();
      logger.warn('could not publish the decision metrics of a minute', {
        minute: new Date(closedMinute * MINUTE_MS).toISOString(),
        error,
      });
    } finally {
      sets.clear();
    }
  }

  return {
    record(decision) {
      const now = Math.floor(clock.now().getTime() / MINUTE_MS);
      if (minute !== undefined && now !== minute && sets.size > 0) flush(minute);
      minute = now;
      switch (decision.kind) {
        case 'allow':
          return count(AUTHORIZER_METRICS.allowed);
        case 'deny':
          count(AUTHORIZER_METRICS.denied);
          return count(AUTHORIZER_METRICS.denied, { [DENY_CODE_DIMENSION]: decision.code });
        case 'unauthorized':
          count(AUTHORIZER_METRICS.unauthorized);
          return count(AUTHORIZER_METRICS.unauthorized, { [UNAUTHORIZED_REASON_DIMENSION]: decision.reason });
      }
    },
  };
}
