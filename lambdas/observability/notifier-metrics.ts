import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { NOTIFIER_METRICS } from './metric-names';

/** What the notifier counts beyond what Lambda and the event-source mapping already do. */
export interface NotifierMetrics {
  /** An email the mail service refused for good: admins were not told, and no retry will tell them. */
  emailRejected(): void;
}

/** `EmailsRejected` as an EMF metric over the default dimensions (metric-names.ts). */
export function notifierMetrics(metrics: Metrics): NotifierMetrics {
  return {
    emailRejected() {
      metrics.addMetric(NOTIFIER_METRICS.emailsRejected, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
  };
}
