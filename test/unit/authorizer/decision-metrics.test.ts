import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import type { Decision } from '../../../lambdas/domain/authorization';
import { ManualClock } from '../../../lambdas/domain/clock';
import { generateToken } from '../../../lambdas/domain/token';
import { decisionMetrics } from '../../../lambdas/observability/decision-metrics';
import { logger } from '../../../lambdas/observability/logger';
import {
  AUTHORIZER_METRICS,
  DENY_CODE_DIMENSION,
  FUNCTION_DIMENSION,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  UNAUTHORIZED_REASON_DIMENSION,
} from '../../../lambdas/observability/metric-names';
import { createMetrics } from '../../../lambdas/observability/metrics';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { type DynamoDbStandIn, startDynamoDbStandIn, wireHotItem } from '../../support/dynamodb-stand-in';
import { captureEmf, dataPoints, type EmfLine } from '../../support/emf';

/**
 * The metrics of the module-level authorizer handler, as Lambda would ship them: Powertools
 * Metrics prints embedded-metric-format (EMF) JSON lines on stdout, which CloudWatch turns into
 * metrics; the authorizer counts its decisions in memory and prints a minute's counts when the
 * first decision after that minute is recorded. The lines are captured and read as CloudWatch would.
 */
const FUNCTION_NAME = 'keyward-unit-api-key-authorizer';
const LAMBDA_ENV = {
  TABLE_NAME: 'keyward-unit',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDUNIT',
  AWS_SECRET_ACCESS_KEY: 'unit-secret',
  AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
};

const DEFAULT_DIMENSIONS = { service: SERVICE_NAME, [FUNCTION_DIMENSION]: FUNCTION_NAME };

describe('api-key authorizer metrics (EMF on stdout)', () => {
  let module: typeof AuthorizerModule;
  let standIn: DynamoDbStandIn;
  let emf: EmfLine[];
  const token = generateToken('kw');

  // Only Date is faked (the stand-in's sockets keep their timers): each test starts a minute after the last.
  let now = Date.parse('2026-12-07T08:00:30.000Z');

  beforeAll(async () => {
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
      now,
    });
    standIn = await startDynamoDbStandIn();
    module = await importWithEnv(
      { ...LAMBDA_ENV, DYNAMODB_ENDPOINT: standIn.endpoint },
      () => import('../../../lambdas/api-key-authorizer'),
    );
  });

  afterAll(async () => {
    jest.useRealTimers();
    await standIn.close();
  });

  /** Moves to the next minute and records one decision there (a missing key, no I/O): the minute before is published. */
  async function closeMinute(): Promise<void> {
    now += 60_000;
    jest.setSystemTime(now);
    await module.handler(authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: {} })).catch(() => undefined);
  }

  beforeEach(async () => {
    emf = captureEmf();
    for (const level of ['debug', 'info', 'warn', 'error'] as const) jest.spyOn(logger, level).mockImplementation(() => undefined);
    standIn.respond((request) => (request.operation === 'GetItem' ? { json: { Item: wireHotItem(token) } } : { json: {} }));
    // The test's minute starts empty: closeMinute's own decision is in the minute before it.
    await closeMinute();
    now += 60_000;
    jest.setSystemTime(now);
    testMinuteEnd = Math.floor(now / 60_000) * 60_000 + 59_999;
  });

  /** The EMF documents of the test's own minute (stamped with its last millisecond). */
  let testMinuteEnd = 0;
  const ofTestMinute = () => emf.filter((line) => line._aws.Timestamp === testMinuteEnd);

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const request = (resource: string, headers: Record<string, string> = { 'x-api-key': token }, method = 'GET') =>
    module.handler(authorizerEvent({ method, resource, headers }));

  it('prints nothing while the minute lasts', async () => {
    await request('/v1/customers');
    const printed = emf.length; // the minute before, published by the first decision of this one
    for (let i = 0; i < 5; i++) await request('/v1/customers');
    await request('/v1/customers', { 'x-api-key': token }, 'POST');

    expect(emf).toHaveLength(printed);
    expect(ofTestMinute()).toEqual([]);
  });

  it('counts an allowed request as Authorized, over the service and function only', async () => {
    await request('/v1/customers');
    await closeMinute();

    expect(dataPoints(ofTestMinute())).toEqual([
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.allowed, unit: 'Count', value: 1, dimensions: DEFAULT_DIMENSIONS },
    ]);
  });

  it('counts a request denied for permission as Denied, in total and per code', async () => {
    const result = await request('/v1/customers', { 'x-api-key': token }, 'POST');
    expect(result.context).toEqual({ code: 'write_action_not_allowed_for_customer', organization_id: 'acme' });
    await closeMinute();

    expect(dataPoints(ofTestMinute())).toEqual([
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.denied, unit: 'Count', value: 1, dimensions: DEFAULT_DIMENSIONS },
      {
        namespace: METRICS_NAMESPACE,
        metric: AUTHORIZER_METRICS.denied,
        unit: 'Count',
        value: 1,
        dimensions: { ...DEFAULT_DIMENSIONS, [DENY_CODE_DIMENSION]: 'write_action_not_allowed_for_customer' },
      },
    ]);
  });

  it('counts a route outside the route table as Denied with code route_not_allowed', async () => {
    await request('/v1/nowhere');
    await closeMinute();

    expect(dataPoints(ofTestMinute()).map((point) => point.dimensions[DENY_CODE_DIMENSION])).toEqual([undefined, 'route_not_allowed']);
  });

  it.each([
    ['missing', {}],
    ['malformed', { 'x-api-key': 'kw_not-a-key' }],
  ])('counts a %s key as Unauthorized, in total and per reason, without reading the table', async (reason, headers) => {
    standIn.requests.length = 0;
    await expect(request('/v1/customers', headers)).rejects.toThrow('Unauthorized');
    await closeMinute();

    expect(standIn.requests).toEqual([]);
    expect(dataPoints(ofTestMinute())).toEqual([
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.unauthorized, unit: 'Count', value: 1, dimensions: DEFAULT_DIMENSIONS },
      {
        namespace: METRICS_NAMESPACE,
        metric: AUTHORIZER_METRICS.unauthorized,
        unit: 'Count',
        value: 1,
        dimensions: { ...DEFAULT_DIMENSIONS, [UNAUTHORIZED_REASON_DIMENSION]: reason },
      },
    ]);
  });

  it('counts a well-formed key that names no key as Unauthorized with reason unknown', async () => {
    standIn.respond(() => ({ json: {} }));
    await expect(request('/v1/customers')).rejects.toThrow('Unauthorized');
    await closeMinute();

    expect(dataPoints(ofTestMinute()).map((point) => point.dimensions[UNAUTHORIZED_REASON_DIMENSION])).toEqual([undefined, 'unknown']);
  });

  it('publishes nothing when the decision cannot be made (the Lambda Errors metric counts those)', async () => {
    standIn.respond(() => ({ status: 400, json: { __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message: 'no' } }));
    await expect(request('/v1/customers')).rejects.toThrow();
    await closeMinute();

    expect(ofTestMinute()).toEqual([]);
  });

  it('puts no key id, organization id or token in a dimension or anywhere in the line', async () => {
    await request('/v1/customers');
    await request('/v1/customers', { 'x-api-key': token }, 'POST');
    await request('/v1/nowhere');
    await closeMinute();

    expect(ofTestMinute()).toHaveLength(3);
    const dimensionNames = new Set(dataPoints(ofTestMinute()).flatMap((point) => Object.keys(point.dimensions)));
    expect([...dimensionNames].sort()).toEqual([FUNCTION_DIMENSION, 'service', DENY_CODE_DIMENSION].sort());
    const text = JSON.stringify(ofTestMinute());
    expect(text).not.toContain('key-1');
    expect(text).not.toContain('acme');
    expect(text).not.toContain(token);
  });
});

describe('decision metrics: counted in memory, published once a minute (fake clock)', () => {
  const FUNCTION = 'keyward-unit-decisions';
  const DIMENSIONS = { service: SERVICE_NAME, [FUNCTION_DIMENSION]: FUNCTION };
  const key = { apiKeyId: 'key-1', organizationId: 'acme' } as Extract<Decision, { kind: 'allow' }>['key'];
  const allow = { kind: 'allow', key } as Decision;
  const deny = (code: string): Decision => ({ kind: 'deny', key, code }) as Decision;
  const unauthorized = (reason: 'missing' | 'malformed' | 'unknown' | 'expired'): Decision => ({ kind: 'unauthorized', reason });
  let emf: EmfLine[];
  let clock: ManualClock;

  function counter(env: Record<string, string> = {}) {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return decisionMetrics(createMetrics({ AWS_LAMBDA_FUNCTION_NAME: FUNCTION }), clock);
    } finally {
      process.env = saved;
    }
  }

  beforeEach(() => {
    emf = captureEmf();
    clock = new ManualClock('2026-12-07T10:00:00.000Z');
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('prints nothing per decision: 1,000 decisions in a minute write no line', () => {
    const metrics = counter();
    for (let i = 0; i < 1000; i++) {
      metrics.record(i % 100 === 0 ? deny('route_not_allowed') : allow);
      clock.advance(59);
    }

    expect(clock.now().toISOString()).toBe('2026-12-07T10:00:59.000Z');
    expect(emf).toEqual([]);
  });

  it("publishes the minute's exact counts, one document per dimension set, at the first decision after it closes", () => {
    const metrics = counter();
    for (let i = 0; i < 700; i++) metrics.record(allow);
    for (let i = 0; i < 3; i++) metrics.record(deny('route_not_allowed'));
    metrics.record(deny('ip_not_allowed'));
    metrics.record(unauthorized('missing'));
    metrics.record(unauthorized('missing'));
    metrics.record(unauthorized('expired'));
    clock.set('2026-12-07T10:00:59.999Z');
    metrics.record(allow);
    expect(emf).toEqual([]);

    clock.set('2026-12-07T10:01:00.000Z');
    metrics.record(deny('route_not_allowed'));

    expect(emf).toHaveLength(5);
    expect(emf.map((line) => line._aws.Timestamp)).toEqual(Array(5).fill(Date.parse('2026-12-07T10:00:59.999Z')));
    expect(dataPoints(emf)).toEqual([
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.allowed, unit: 'Count', value: 701, dimensions: DIMENSIONS },
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.denied, unit: 'Count', value: 4, dimensions: DIMENSIONS },
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.unauthorized, unit: 'Count', value: 3, dimensions: DIMENSIONS },
      {
        namespace: METRICS_NAMESPACE,
        metric: AUTHORIZER_METRICS.denied,
        unit: 'Count',
        value: 3,
        dimensions: { ...DIMENSIONS, [DENY_CODE_DIMENSION]: 'route_not_allowed' },
      },
      {
        namespace: METRICS_NAMESPACE,
        metric: AUTHORIZER_METRICS.denied,
        unit: 'Count',
        value: 1,
        dimensions: { ...DIMENSIONS, [DENY_CODE_DIMENSION]: 'ip_not_allowed' },
      },
      {
        namespace: METRICS_NAMESPACE,
        metric: AUTHORIZER_METRICS.unauthorized,
        unit: 'Count',
        value: 2,
        dimensions: { ...DIMENSIONS, [UNAUTHORIZED_REASON_DIMENSION]: 'missing' },
      },
      {
        namespace: METRICS_NAMESPACE,
        metric: AUTHORIZER_METRICS.unauthorized,
        unit: 'Count',
        value: 1,
        dimensions: { ...DIMENSIONS, [UNAUTHORIZED_REASON_DIMENSION]: 'expired' },
      },
    ]);
  });

  it('publishes each minute once, and counts the decision that closed a minute in the next one', () => {
    const metrics = counter();
    const authorized = () =>
      dataPoints(emf)
        .filter((point) => point.metric === AUTHORIZER_METRICS.allowed)
        .map((point) => point.value);
    metrics.record(allow);
    metrics.record(allow);
    clock.advance(60_000);
    metrics.record(allow); // publishes 10:00 (2)
    metrics.record(allow);
    metrics.record(allow);
    expect(authorized()).toEqual([2]);

    clock.advance(60_000);
    metrics.record(allow); // publishes 10:01 (3)
    expect(authorized()).toEqual([2, 3]);
    expect(emf.map((line) => line._aws.Timestamp)).toEqual([
      Date.parse('2026-12-07T10:00:59.999Z'),
      Date.parse('2026-12-07T10:01:59.999Z'),
    ]);
  });

  it('publishes an idle instance’s last minute at its next invocation, stamped with that minute', () => {
    const metrics = counter();
    metrics.record(deny('route_not_allowed'));
    clock.advance(3_600_000);
    expect(emf).toEqual([]);

    metrics.record(allow);

    expect(emf.map((line) => line._aws.Timestamp)).toEqual([
      Date.parse('2026-12-07T10:00:59.999Z'),
      Date.parse('2026-12-07T10:00:59.999Z'),
    ]);
    expect(dataPoints(emf).map((point) => point.value)).toEqual([1, 1]);
  });

  it('drops a minute it cannot publish, and still records the decision that closed it', () => {
    const metrics = createMetrics({ AWS_LAMBDA_FUNCTION_NAME: FUNCTION });
    const counted = decisionMetrics(metrics, clock);
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementationOnce(() => {
      throw new Error('stdout closed');
    });
    counted.record(allow);
    clock.advance(60_000);

    expect(() => counted.record(allow)).not.toThrow();
    expect(warn).toHaveBeenCalledWith(
      'could not publish the decision metrics of a minute',
      expect.objectContaining({ minute: '2026-12-07T10:00:00.000Z' }),
    );
    clock.advance(60_000);
    counted.record(allow);
    expect(dataPoints(emf).map((point) => point.value)).toEqual([1]);
  });

  it('prints nothing when metrics are disabled (the local runtime: POWERTOOLS_METRICS_DISABLED)', () => {
    const metrics = counter({ POWERTOOLS_METRICS_DISABLED: 'true' });
    metrics.record(allow);
    clock.advance(60_000);
    metrics.record(allow);
    clock.advance(60_000);
    metrics.record(allow);

    expect(emf).toEqual([]);
  });
});
