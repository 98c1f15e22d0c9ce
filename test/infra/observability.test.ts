import type { Template } from 'aws-cdk-lib/assertions';
import {
  AUTHORIZER_METRICS,
  DENY_CODE_DIMENSION,
  FUNCTION_DIMENSION,
  METRICS_NAMESPACE,
  NOTIFIER_METRICS,
  SERVICE_NAME,
  UNAUTHORIZED_REASON_DIMENSION,
} from '../../lambdas/observability/metric-names';
import { AUTHORIZER_FAILURE_TYPES, FULL_ACCESS_LOG_FIELDS, LEAN_ACCESS_LOG_FIELDS } from '../../lib/constructs/access-log-format';
import { synthKeyward } from './synth';
import { environmentOf, functionId, mentions, resourcesOf, statementsOf } from './template-helpers';

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward({ stage: 'prod', sesSender: 'keys@example.com', alarmEmail: 'oncall@example.com' }).template;
});

type Props = Record<string, unknown>;

/** keyward's own functions (`keyward-<stage>-…`; not CDK's custom-resource handlers), by name. */
const keywardFunctions = (template: Template) =>
  Object.values(resourcesOf(template, 'AWS::Lambda::Function'))
    .map((fn) => fn.Properties!.FunctionName)
    .filter((name): name is string => typeof name === 'string' && name.startsWith('keyward-'));
interface MetricQuery {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
    Stat: string;
    Period: number;
  };
}

function alarm(template: Template, name: string): Props {
  const found = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find((r) => r.Properties!.AlarmName === name);
  if (!found) throw new Error(`no alarm ${name}`);
  return found.Properties!;
}

const topicId = (template: Template) =>
  Object.keys(resourcesOf(template, 'AWS::SNS::Topic')).find((id) => id.startsWith('ObservabilityAlarmTopic'))!;
const logicalIdOf = (template: Template, type: string, prefix: string) =>
  Object.keys(resourcesOf(template, type)).find((id) => id.startsWith(prefix))!;
const dimensions = (query: MetricQuery) => Object.fromEntries(query.MetricStat!.Metric.Dimensions.map((d) => [d.Name, d.Value]));
const queries = (props: Props) => props.Metrics as MetricQuery[];

/** Comparison, evaluation, missing data and both actions, the same for every alarm. */
function expectPaging(template: Template, props: Props, threshold: number, periods: number): void {
  expect(props).toMatchObject({
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    EvaluationPeriods: periods,
    DatapointsToAlarm: periods,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: topicId(template) }],
    OKActions: [{ Ref: topicId(template) }],
  });
}

/** The protected API's access-log metrics: the API (its name) is the namespace, set at synth. */
const EXAMPLE_ACCESS_LOG_NAMESPACE = `${METRICS_NAMESPACE}/keyward-prod-example`;

describe('alarms (prod with a sender)', () => {
  const authorizerFn = () => ({ Ref: functionId(prod, 'keyward-prod-api-key-authorizer') });
  const notifierFn = () => ({ Ref: functionId(prod, 'keyward-prod-notify-admins') });

  it('authorizer errors: the max of Lambda Errors and API Gateway authorizer-failure responses, ≥ 5 in 5 minutes', () => {
    const props = alarm(prod, 'keyward-prod-authorizer-errors');
    expectPaging(prod, props, 5, 1);
    const [expression, errors, failures] = queries(props);
    expect(expression).toMatchObject({ Expression: 'MAX([FILL(errors, 0), FILL(failures, 0)])', ReturnData: true });
    expect(errors!.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Stat: 'Sum', Period: 300 });
    expect(dimensions(errors!)).toEqual({ FunctionName: authorizerFn() });
    expect(failures!.MetricStat).toMatchObject({
      Metric: { Namespace: EXAMPLE_ACCESS_LOG_NAMESPACE, MetricName: 'AuthorizerFailureResponses' },
      Stat: 'Sum',
    });
    // The API is the namespace: the lean line carries no API id to take a dimension from.
    expect(failures!.MetricStat!.Metric!.Dimensions).toBeUndefined();
  });

  /** The filters publishing `metricName`: one for full (JSON) lines, one for lean (space-separated) ones. */
  const metricFilters = (metricName: string) =>
    Object.values(resourcesOf(prod, 'AWS::Logs::MetricFilter'))
      .filter((filter) => (filter.Properties!.MetricTransformations as { MetricName: string }[])[0]!.MetricName === metricName)
      .map((filter) => filter.Properties!);
  const metricFilter = (metricName: string) => ({
    Properties: metricFilters(metricName).find((filter) => String(filter.FilterPattern).startsWith('{')),
  });
  const leanMetricFilter = (metricName: string) => metricFilters(metricName).find((filter) => String(filter.FilterPattern).startsWith('['));

  it('counts authorizer-failure responses from the protected API’s access log in the API’s own namespace, in lean and full lines', () => {
    expect(metricFilters('AuthorizerFailureResponses')).toHaveLength(2);
    expect(leanMetricFilter('AuthorizerFailureResponses')).toEqual({
      LogGroupName: { Ref: logicalIdOf(prod, 'AWS::Logs::LogGroup', 'ExampleApiAccessLogs') },
      FilterPattern: '[o, k, s, d, e = "AUTHORIZER_*", x]',
      MetricTransformations: [
        {
          MetricNamespace: EXAMPLE_ACCESS_LOG_NAMESPACE,
          MetricName: 'AuthorizerFailureResponses',
          MetricValue: '1',
          Unit: 'Count',
        },
      ],
    });
    // The wildcard is the two failure types and no other of API Gateway's gateway response types.
    const responseTypes = [
      'ACCESS_DENIED',
      'API_CONFIGURATION_ERROR',
      'AUTHORIZER_CONFIGURATION_ERROR',
      'AUTHORIZER_FAILURE',
      'BAD_REQUEST_PARAMETERS',
      'BAD_REQUEST_BODY',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'EXPIRED_TOKEN',
      'INTEGRATION_FAILURE',
      'INTEGRATION_TIMEOUT',
      'INVALID_API_KEY',
      'INVALID_SIGNATURE',
      'MISSING_AUTHENTICATION_TOKEN',
      'QUOTA_EXCEEDED',
      'REQUEST_TOO_LARGE',
      'RESOURCE_NOT_FOUND',
      'THROTTLED',
      'UNAUTHORIZED',
      'UNSUPPORTED_MEDIA_TYPE',
      'WAF_FILTERED',
    ];
    expect(responseTypes.filter((type) => type.startsWith('AUTHORIZER_')).sort()).toEqual([...AUTHORIZER_FAILURE_TYPES].sort());
    expect(metricFilter('AuthorizerFailureResponses').Properties).toEqual({
      LogGroupName: { Ref: logicalIdOf(prod, 'AWS::Logs::LogGroup', 'ExampleApiAccessLogs') },
      FilterPattern: '{ ($.e = "AUTHORIZER_FAILURE") || ($.e = "AUTHORIZER_CONFIGURATION_ERROR") }',
      MetricTransformations: [
        {
          MetricNamespace: EXAMPLE_ACCESS_LOG_NAMESPACE,
          MetricName: 'AuthorizerFailureResponses',
          MetricValue: '1',
          Unit: 'Count',
        },
      ],
    });
  });

  it('authorizer p99 duration ≥ 500 ms for 15 minutes', () => {
    const props = alarm(prod, 'keyward-prod-authorizer-p99-duration');
    expectPaging(prod, props, 500, 3);
    expect(props).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Duration', ExtendedStatistic: 'p99', Period: 300 });
    expect(props.Dimensions).toEqual([{ Name: 'FunctionName', Value: authorizerFn() }]);
  });

  it.each([
    ['table-throttles', 'ThrottledRequests', 10, 2, []],
    ['table-system-errors', 'SystemErrors', 5, 1, ['GetRecords']],
  ])('%s: %s summed over every operation keyward performs on the table', (name, metricName, threshold, periods, extra) => {
    const props = alarm(prod, `keyward-prod-${name}`);
    expectPaging(prod, props, threshold, periods);
    const [expression, ...metrics] = queries(props);
    expect(expression!.Expression).toBe(`SUM([${metrics.map((m) => m.Id).join(', ')}])`);
    expect(metrics.map((m) => dimensions(m).Operation)).toEqual([
      'GetItem',
      'Query',
      'Scan',
      'PutItem',
      'UpdateItem',
      'DeleteItem',
      'TransactWriteItems',
      ...extra,
    ]);
    for (const metric of metrics) {
      expect(metric.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/DynamoDB', MetricName: metricName }, Stat: 'Sum', Period: 300 });
      expect(dimensions(metric).TableName).toEqual({ Ref: logicalIdOf(prod, 'AWS::DynamoDB::Table', 'Data') });
    }
  });

  it.each([
    ['notifier-stream-lag', 'keyward-prod-notify-admins'],
    ['event-publisher-stream-lag', 'keyward-prod-publish-events'],
  ])('%s: IteratorAge maximum of %s ≥ 15 minutes for 10 minutes', (name, functionName) => {
    const props = alarm(prod, `keyward-prod-${name}`);
    expectPaging(prod, props, 900_000, 2);
    expect(props).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Statistic: 'Maximum', Period: 300 });
    expect(props.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: functionId(prod, functionName) } }]);
  });

  it.each([
    ['notifier-failure-queue', 'NotificationsFailureQueue'],
    ['retirement-dlq', 'RetirementDeadLetterQueue'],
    ['job-failure-queue', 'RetirementJobFailureQueue'],
    ['event-publisher-failure-queue', 'LifecycleEventsFailureQueue'],
    ['usage-failure-queue', 'UsageFailureQueue'],
    ['usage-rollup-failure-queue', 'UsageRollupFailureQueue'],
  ])('%s: any visible message', (name, queuePrefix) => {
    const props = alarm(prod, `keyward-prod-${name}`);
    expectPaging(prod, props, 1, 1);
    expect(props).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum' });
    expect(props.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(prod, 'AWS::SQS::Queue', queuePrefix), 'QueueName'] } },
    ]);
  });

  it('scheduler failures: target errors plus dropped invocations of the retirement group, any', () => {
    const props = alarm(prod, 'keyward-prod-scheduler-failures');
    expectPaging(prod, props, 1, 1);
    const [expression, ...metrics] = queries(props);
    expect(expression!.Expression).toBe('FILL(targetErrors, 0) + FILL(dropped, 0)');
    expect(metrics.map((m) => [m.Id, m.MetricStat!.Metric.Namespace, m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat])).toEqual([
      ['targetErrors', 'AWS/Scheduler', 'TargetErrorCount', 'Sum'],
      ['dropped', 'AWS/Scheduler', 'InvocationDroppedCount', 'Sum'],
    ]);
    for (const metric of metrics) expect(dimensions(metric)).toEqual({ ScheduleGroup: 'keyward-prod-retirements' });
  });

  const stageOf = (api: string) => ({
    Ref: logicalIdOf(prod, 'AWS::ApiGateway::Stage', `${api.charAt(0).toUpperCase()}${api.slice(1)}ApiDeploymentStageprod`),
  });

  it('management 5xx: any 5xx answer in 5 minutes, whatever the traffic (admins make few requests: a broken operation pages)', () => {
    const props = alarm(prod, 'keyward-prod-management-5xx');
    expectPaging(prod, props, 1, 1);
    expect(props).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Sum', Period: 300 });
    expect(props.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'ApiName', Value: 'keyward-prod-management' },
        { Name: 'Stage', Value: stageOf('management') },
      ]),
    );
  });

  it.each([
    ['example-5xx-rate', 'AWS/ApiGateway', '5XXError'],
    ['example-429-rate', 'keyward/keyward-prod-example', 'ThrottledResponses'],
  ])(
    '%s: its share of the protected API’s requests ≥ 5 %% for 10 minutes, only above 20 requests per 5 minutes',
    (name, namespace, metricName) => {
      const props = alarm(prod, `keyward-prod-${name}`);
      expectPaging(prod, props, 5, 2);
      const [expression, part, requests] = queries(props);
      expect(expression!.Expression).toBe('IF(FILL(requests, 0) >= 20, 100 * FILL(part, 0) / requests, 0)');
      expect(part!.MetricStat).toMatchObject({ Metric: { Namespace: namespace, MetricName: metricName }, Stat: 'Sum', Period: 300 });
      expect(requests!.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' }, Stat: 'Sum' });
      expect(dimensions(requests!)).toEqual({ ApiName: 'keyward-prod-example', Stage: stageOf('example') });
    },
  );

  it('counts 429 answers from the protected API’s access log in the API’s own namespace, in lean and full lines (API Gateway has no 429 metric)', () => {
    expect(metricFilters('ThrottledResponses')).toHaveLength(2);
    expect(leanMetricFilter('ThrottledResponses')).toMatchObject({
      FilterPattern: '[o, k, s = "429", d, e, x]',
      MetricTransformations: [{ MetricNamespace: EXAMPLE_ACCESS_LOG_NAMESPACE, MetricName: 'ThrottledResponses' }],
    });
    expect(metricFilter('ThrottledResponses')!.Properties).toEqual({
      LogGroupName: { Ref: logicalIdOf(prod, 'AWS::Logs::LogGroup', 'ExampleApiAccessLogs') },
      FilterPattern: '{ $.s = "429" }',
      MetricTransformations: [
        {
          MetricNamespace: EXAMPLE_ACCESS_LOG_NAMESPACE,
          MetricName: 'ThrottledResponses',
          MetricValue: '1',
          Unit: 'Count',
        },
      ],
    });
    const [, part] = queries(alarm(prod, 'keyward-prod-example-429-rate'));
    expect(part!.MetricStat!.Metric!.Dimensions).toBeUndefined();
  });

  it('account concurrency: the account-wide ConcurrentExecutions (no dimension) ≥ 80 % of the limit for 5 minutes', () => {
    const props = alarm(prod, 'keyward-prod-account-concurrency');
    expectPaging(prod, props, 80, 5);
    const [expression, concurrent] = queries(props);
    expect(expression!.Expression).toBe('100 * concurrent / 1000');
    expect(concurrent!.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'ConcurrentExecutions' },
      Stat: 'Maximum',
      Period: 60,
    });
  });

  it('function errors: every function but the api-key authorizer (authorizer-errors) pages on any failed invocation in 5 minutes', () => {
    for (const name of keywardFunctions(prod).filter((n) => n !== 'keyward-prod-api-key-authorizer')) {
      const props = alarm(prod, `${name}-errors`);
      expectPaging(prod, props, 1, 1);
      expect(props).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300 });
      expect(props.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: functionId(prod, name) } }]);
    }
  });

  it('emails rejected: any EmailsRejected the notifier publishes', () => {
    const props = alarm(prod, 'keyward-prod-emails-rejected');
    expectPaging(prod, props, 1, 1);
    expect(props).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: NOTIFIER_METRICS.emailsRejected,
      Statistic: 'Sum',
      Period: 300,
    });
    expect(props.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: SERVICE_NAME },
        { Name: FUNCTION_DIMENSION, Value: notifierFn() },
      ]),
    );
  });

  it.each([
    ['ses-bounce-rate', 'Reputation.BounceRate', 0.025],
    ['ses-complaint-rate', 'Reputation.ComplaintRate', 0.0005],
  ])('%s: the configuration set’s %s ≥ %s', (name, metricName, threshold) => {
    const props = alarm(prod, `keyward-prod-${name}`);
    expectPaging(prod, props, threshold, 1);
    expect(props).toMatchObject({ Namespace: 'AWS/SES', MetricName: metricName, Statistic: 'Maximum', Period: 3600 });
    expect(props.Dimensions).toEqual([
      { Name: 'ses:configuration-set', Value: { Ref: logicalIdOf(prod, 'AWS::SES::ConfigurationSet', 'Notifications') } },
    ]);
  });

  it('has exactly these alarms, and no SES ones without a sender', () => {
    const names = (template: Template) =>
      Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))
        .map((r) => r.Properties!.AlarmName as string)
        .sort();
    const common = [
      'account-concurrency',
      'authorizer-errors',
      'authorizer-p99-duration',
      'emails-rejected',
      'event-publisher-failure-queue',
      'event-publisher-stream-lag',
      'example-429-rate',
      'example-5xx-rate',
      'job-failure-queue',
      'management-5xx',
      'notifier-failure-queue',
      'notifier-stream-lag',
      'retirement-dlq',
      'scheduler-failures',
      'table-system-errors',
      'table-throttles',
      'usage-failure-queue',
      'usage-rollup-failure-queue',
    ];
    const functionErrors = (template: Template, stage: string) =>
      keywardFunctions(template)
        .filter((name) => name !== `keyward-${stage}-api-key-authorizer`)
        .map((name) => `${name}-errors`);
    expect(names(prod)).toEqual(
      [...[...common, 'ses-bounce-rate', 'ses-complaint-rate'].map((n) => `keyward-prod-${n}`), ...functionErrors(prod, 'prod')].sort(),
    );
    expect(names(dev)).toEqual([...common.map((n) => `keyward-dev-${n}`), ...functionErrors(dev, 'dev')].sort());
    // A broken create and the admin authorizer page at admin volumes, whatever the 5xx count says.
    expect(functionErrors(prod, 'prod')).toEqual(
      expect.arrayContaining([
        'keyward-prod-create-api-key-errors',
        'keyward-prod-admin-authorizer-errors',
        'keyward-prod-retire-api-key-errors',
      ]),
    );
  });
});

describe('the alarm topic', () => {
  it('is named after the stage and refuses plain HTTP publishers', () => {
    prod.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'keyward-prod-alarms' });
    const policy = Object.values(resourcesOf(prod, 'AWS::SNS::TopicPolicy'))[0]!.Properties!;
    expect(JSON.stringify(policy.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('subscribes alarmEmail when it is set, and nothing otherwise', () => {
    prod.resourceCountIs('AWS::SNS::Subscription', 1);
    prod.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId(prod) },
    });
    dev.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('the dashboard', () => {
  interface Widget {
    type: string;
    properties: { title: string; alarms?: string[]; annotations?: { alarms: string[] }; metrics?: unknown[][] };
  }

  /** The dashboard's name and widgets, each CloudFormation reference written as `<LogicalId>`. */
  function dashboard(template: Template): { name: unknown; widgets: Widget[] } {
    const [resource] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    const parts = (resource!.Properties!.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        return `<${ref.Ref ?? ref['Fn::GetAtt']![0]}>`;
      })
      .join('');
    return { name: resource!.Properties!.DashboardName, widgets: (JSON.parse(text) as { widgets: Widget[] }).widgets };
  }
  const alarmIds = () => Object.keys(resourcesOf(prod, 'AWS::CloudWatch::Alarm'));
  const widget = (title: string) => dashboard(prod).widgets.find((w) => w.properties.title === title)!;

  it('is keyward-<stage>, with the status of every alarm and one graph per alarm', () => {
    const { name, widgets } = dashboard(prod);
    expect(name).toBe('keyward-prod');
    expect(widgets[0]).toMatchObject({ type: 'alarm', properties: { title: 'Alarms' } });
    expect(widgets[0]!.properties.alarms!.sort()).toEqual(
      alarmIds()
        .map((id) => `<${id}>`)
        .sort(),
    );
    const graphed = widgets.flatMap((w) => w.properties.annotations?.alarms ?? []);
    expect(graphed.sort()).toEqual(
      alarmIds()
        .map((id) => `<${id}>`)
        .sort(),
    );
  });

  it('shows authorized, denied and unauthorized counts of the authorizer', () => {
    const fn = `<${functionId(prod, 'keyward-prod-api-key-authorizer')}>`;
    expect(widget('Authorizer decisions').properties.metrics).toEqual(
      Object.values(AUTHORIZER_METRICS).map((metric) => [
        METRICS_NAMESPACE,
        metric,
        FUNCTION_DIMENSION,
        fn,
        'service',
        SERVICE_NAME,
        expect.objectContaining({ stat: 'Sum' }),
      ]),
    );
  });

  it.each([
    ['Denied by code', 'Denied', DENY_CODE_DIMENSION],
    ['Unauthorized by reason', 'Unauthorized', UNAUTHORIZED_REASON_DIMENSION],
  ])('shows %s, one line per value found', (title, metric, dimension) => {
    const fn = `<${functionId(prod, 'keyward-prod-api-key-authorizer')}>`;
    expect(widget(title).properties.metrics).toEqual([
      [
        {
          expression: `SEARCH('{${METRICS_NAMESPACE},service,${FUNCTION_DIMENSION},${dimension}} MetricName="${metric}" ${FUNCTION_DIMENSION}="${fn}"', 'Sum', 300)`,
        },
      ],
    ]);
  });
});

describe('the SES configuration set', () => {
  it('publishes reputation metrics, and the notifier sends with it and may use it', () => {
    prod.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'keyward-prod-notifications',
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
    });
    expect(environmentOf(prod, 'keyward-prod-notify-admins')).toMatchObject({
      SES_FROM_ADDRESS: 'keys@example.com',
      SES_CONFIGURATION_SET: { Ref: logicalIdOf(prod, 'AWS::SES::ConfigurationSet', 'Notifications') },
    });
    const send = statementsOf(prod, 'keyward-prod-notify-admins').find((s) => JSON.stringify(s.Action).includes('ses:SendEmail'))!;
    expect(send.Action).toEqual('ses:SendEmail');
    const resources = JSON.stringify(send.Resource);
    expect(resources).toContain(':identity/*');
    expect(resources).toContain(':configuration-set/');
    expect(mentions(send.Resource, logicalIdOf(prod, 'AWS::SES::ConfigurationSet', 'Notifications'))).toBe(true);
  });

  it('does not exist without a sender', () => {
    dev.resourceCountIs('AWS::SES::ConfigurationSet', 0);
    expect(environmentOf(dev, 'keyward-dev-notify-admins')).not.toHaveProperty('SES_CONFIGURATION_SET');
  });
});

describe('access logs', () => {
  const formats = (template: Template) =>
    Object.fromEntries(
      Object.entries(resourcesOf(template, 'AWS::ApiGateway::Stage')).map(([id, stage]) => [
        id.startsWith('Example') ? 'consumer' : 'management',
        (stage.Properties!.AccessLogSetting as { Format: string }).Format,
      ]),
    );

  it('are lean on the consumer API by default: organization, key, status, deny code, gateway error and API Gateway’s request id, space-separated (no API id: the same on every line)', () => {
    expect(formats(prod).consumer).toBe(
      '$context.authorizer.organization_id $context.authorizer.principalId $context.status $context.authorizer.code $context.error.responseType $context.extendedRequestId',
    );
    expect(Object.keys(LEAN_ACCESS_LOG_FIELDS).join(' ')).toBe('o k s d e x');
  });

  it('are full JSON on the consumer API with accessLogFormat=full, and always on the management API: the lean fields under the same names, and forensic ones', () => {
    const full = synthKeyward({
      stage: 'prod',
      sesSender: 'keys@example.com',
      alarmEmail: 'oncall@example.com',
      accessLogFormat: 'full',
    }).template;
    expect(JSON.parse(formats(full).consumer!)).toEqual(FULL_ACCESS_LOG_FIELDS);
    expect(JSON.parse(formats(prod).management!)).toEqual(FULL_ACCESS_LOG_FIELDS);
    expect(FULL_ACCESS_LOG_FIELDS).toMatchObject({
      ...LEAN_ACCESS_LOG_FIELDS,
      api_key_id: '$context.authorizer.api_key_id',
      authorizer_status: '$context.authorizer.status',
      authorizer_latency_ms: '$context.authorizer.latency',
      request_id: '$context.requestId',
      request_time_epoch: '$context.requestTimeEpoch',
    });
  });

  it('hold a request id in either format, as API Gateway requires of a stage’s format', () => {
    for (const format of [...Object.values(formats(prod)), JSON.stringify(FULL_ACCESS_LOG_FIELDS)]) {
      expect(format).toMatch(/\$context\.(requestId|extendedRequestId)\b/);
    }
  });

  it('have the fields the alarms’ metric filters read in both formats (and the filters read no API id)', () => {
    const fields = Object.values(resourcesOf(prod, 'AWS::Logs::MetricFilter'))
      .filter((filter) => JSON.stringify(filter.Properties!.LogGroupName).includes('ExampleApiAccessLogs'))
      .flatMap((filter) => [
        ...String(filter.Properties!.FilterPattern).matchAll(/\$\.(\w+)|\b(\w+) = /g),
        ...JSON.stringify(filter.Properties!.MetricTransformations).matchAll(/\$\.?(\w+)/g),
      ])
      .map((match) => match[1] ?? match[2]!);
    expect(new Set(fields)).toEqual(new Set(['e', 's']));
    for (const field of fields) {
      expect(Object.keys(LEAN_ACCESS_LOG_FIELDS)).toContain(field);
      expect(Object.keys(FULL_ACCESS_LOG_FIELDS)).toContain(field);
    }
  });

  it('never log a header, the query string or a body (the token travels in headers)', () => {
    for (const format of [...Object.values(formats(prod)).map((text) => ({ text })), LEAN_ACCESS_LOG_FIELDS, FULL_ACCESS_LOG_FIELDS]) {
      for (const value of Object.values(format)) {
        expect(value).not.toMatch(/header|querystring|params|body|x-api-key|authorization/i);
      }
    }
  });
});
