import { Metrics } from '@aws-lambda-powertools/metrics';
import { FUNCTION_DIMENSION, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names';

/**
 * A function's Powertools Metrics: keyward's namespace, and the `service` and `FunctionName`
 * dimensions the alarms and the dashboard select on (metric-names.ts). Outside Lambda (tests,
 * `npm start`) the function name is `local`; the local runtime turns publishing off altogether
 * (`POWERTOOLS_METRICS_DISABLED`), as nothing reads its stdout for metrics.
 */
export function createMetrics(env = process.env): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { [FUNCTION_DIMENSION]: env.AWS_LAMBDA_FUNCTION_NAME || 'local' },
  });
}
