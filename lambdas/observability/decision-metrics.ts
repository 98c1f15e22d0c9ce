import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Decision } from '../domain/authorization';
import { AUTHORIZER_METRICS, DENY_CODE_DIMENSION, UNAUTHORIZED_REASON_DIMENSION } from './metric-names';

/** Counts the api-key authorizer's decisions, one per request. */
export interface DecisionMetrics {
  record(decision: Decision): void;
}

/**
 * The decisions as EMF metrics (metric-names.ts): `Authorized`, `Denied` and `Unauthorized`, each
 * as a total, and `Denied` per `code` and `Unauthorized` per `reason`. The key and organization
 * are never dimensions: they are in the access log, which is where a key's traffic is attributed.
 * Published at once (one log line per request), so nothing is lost when an invocation throws.
 */
export function decisionMetrics(metrics: Metrics): DecisionMetrics {
  function publish(name: string, breakdown?: Record<string, string>): void {
    // An empty set is the total over the default dimensions (service, FunctionName): the alarms
    // and the dashboard read it without summing over every code or reason.
    metrics.addDimensions({});
    if (breakdown) metrics.addDimensions(breakdown);
    metrics.addMetric(name, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  }

  return {
    record(decision) {
      switch (decision.kind) {
        case 'allow':
          return publish(AUTHORIZER_METRICS.allowed);
        case 'deny':
          return publish(AUTHORIZER_METRICS.denied, { [DENY_CODE_DIMENSION]: decision.code });
        case 'unauthorized':
          return publish(AUTHORIZER_METRICS.unauthorized, { [UNAUTHORIZED_REASON_DIMENSION]: decision.reason });
      }
    },
  };
}
