/**
 * The metrics keyward's alarms and dashboard watch (observability.ts): keyward's own (EMF), the
 * table's summed over its operations, and the counts of access-log lines (metric filters).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  AUTHORIZER_METRICS,
  DENY_CODE_DIMENSION,
  FUNCTION_DIMENSION,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  UNAUTHORIZED_REASON_DIMENSION,
} from '../../lambdas/observability/metric-names';
import { AUTHORIZER_FAILURE_TYPES, AUTHORIZER_FAILURE_WILDCARD, LEAN_FIELD_ORDER, type LeanField } from './access-log-format';
import type { KeywardRestApi } from './keyward-rest-api';

export const FIVE_MINUTES = Duration.minutes(5);

/** The table operations keyward's functions and CLI perform (throttles and system errors are published per operation). */
export const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.SCAN,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
] as const;

/**
 * `part` as a percentage of `requests`; 0 below `minRequests` (`ALARM_THRESHOLDS.apiRateMinRequests`),
 * where a share says nothing (1 error in 3 requests is 33 %).
 */
export function shareOf(
  label: string,
  part: cloudwatch.IMetric,
  requests: cloudwatch.IMetric,
  minRequests: number,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    label,
    expression: `IF(FILL(requests, 0) >= ${minRequests}, 100 * FILL(part, 0) / requests, 0)`,
    usingMetrics: { part, requests },
    period: FIVE_MINUTES,
  });
}

/** A metric keyward publishes itself (EMF, metric-names.ts), as the export function `fn` publishes it. */
export function customMetric(metricName: string, fn: lambda.IFunction): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, [FUNCTION_DIMENSION]: fn.functionName },
    statistic: 'Sum',
    period: FIVE_MINUTES,
  });
}

/** One line per value of `dimension` (a code, a reason): a SEARCH, as the values are not listed anywhere. */
function breakdown(metricName: string, dimension: string, fn: lambda.IFunction): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${FUNCTION_DIMENSION},${dimension}} MetricName="${metricName}" ${FUNCTION_DIMENSION}="${fn.functionName}"', 'Sum', 300)`,
    label: '',
    period: FIVE_MINUTES,
  });
}

/** `metricName` summed over `operations` of the table (DynamoDB publishes it per operation). */
export function sumOfOperations(
  metricName: string,
  table: dynamodb.ITable,
  operations: readonly dynamodb.Operation[],
  label: string,
): cloudwatch.MathExpression {
  const usingMetrics = Object.fromEntries(
    operations.map((operation) => [
      operation.charAt(0).toLowerCase() + operation.slice(1),
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: table.tableName, Operation: operation },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
    ]),
  );
  return new cloudwatch.MathExpression({
    label,
    // SUM over the list, not `a + b`: an operation without data at a time must not blank the rest.
    expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
    usingMetrics,
    period: FIVE_MINUTES,
  });
}

/**
 * Counts the access-log lines of `api` that match (metric filters), in the API's own namespace
 * (`accessLogMetricsNamespace`, no dimension: the lines carry no API id in the lean format). A
 * stage's log holds lean lines (space-separated) or full ones (JSON), and both across a change of
 * `accessLogFormat`: one filter for each, publishing the same metric, so the count reads both.
 */
function accessLogCount(
  scope: Construct,
  api: KeywardRestApi,
  metricName: string,
  patterns: { full: logs.IFilterPattern; lean: logs.IFilterPattern },
): cloudwatch.Metric {
  const common = {
    logGroup: api.accessLogs,
    metricNamespace: api.accessLogMetricsNamespace,
    metricName,
    metricValue: '1',
    unit: cloudwatch.Unit.COUNT,
  };
  const filter = new logs.MetricFilter(scope, metricName, { ...common, filterPattern: patterns.full });
  new logs.MetricFilter(scope, `${metricName}Lean`, { ...common, filterPattern: patterns.lean });
  return filter.metric({ statistic: 'Sum', period: FIVE_MINUTES });
}

/** A field of a full (JSON) access log line: the lean fields have the same names there. */
const accessLogField = (name: LeanField) => `$.${name}`;

/** A lean (space-separated) access log line, by position (access-log-fields.ts). */
const leanLine = () => logs.FilterPattern.spaceDelimited(...LEAN_FIELD_ORDER);

/** API Gateway's authorizer-failure responses (AUTHORIZER_FAILURE, AUTHORIZER_CONFIGURATION_ERROR): the client got 500. */
export function authorizerFailureMetric(scope: Construct, api: KeywardRestApi): cloudwatch.Metric {
  const types = AUTHORIZER_FAILURE_TYPES.map((type) => logs.FilterPattern.stringValue(accessLogField('e'), '=', type));
  return accessLogCount(scope, api, 'AuthorizerFailureResponses', {
    full: logs.FilterPattern.any(...types),
    // The two types and no other gateway response start with AUTHORIZER_ (test/infra/observability.test.ts).
    lean: leanLine().whereString('e', '=', AUTHORIZER_FAILURE_WILDCARD),
  });
}

/** The 429 answers (stage throttling, usage-plan quotas): API Gateway has no metric of its own for them. */
export function throttledResponsesMetric(scope: Construct, api: KeywardRestApi): cloudwatch.Metric {
  // Every access-log value is a string (access-log-format.ts).
  return accessLogCount(scope, api, 'ThrottledResponses', {
    full: logs.FilterPattern.stringValue(accessLogField('s'), '=', '429'),
    lean: leanLine().whereString('s', '=', '429'),
  });
}

/** The dashboard row of the api-key authorizer's decisions: all three, then the denials by code and the 401s by reason. */
export function authorizerDecisionWidgets(authorizer: lambda.IFunction): cloudwatch.IWidget[] {
  const decision = (name: string) => customMetric(name, authorizer);
  return [
    new cloudwatch.GraphWidget({
      title: 'Authorizer decisions',
      left: [
        decision(AUTHORIZER_METRICS.allowed).with({ label: 'authorized' }),
        decision(AUTHORIZER_METRICS.denied).with({ label: 'denied (403)' }),
        decision(AUTHORIZER_METRICS.unauthorized).with({ label: 'unauthorized (401)' }),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Denied by code',
      left: [breakdown(AUTHORIZER_METRICS.denied, DENY_CODE_DIMENSION, authorizer)],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Unauthorized by reason',
      left: [breakdown(AUTHORIZER_METRICS.unauthorized, UNAUTHORIZED_REASON_DIMENSION, authorizer)],
      width: 8,
    }),
  ];
}
