import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import { generateToken } from '../../../lambdas/domain/token';
import { logger } from '../../../lambdas/observability/logger';
import {
  AUTHORIZER_METRICS,
  DENY_CODE_DIMENSION,
  FUNCTION_DIMENSION,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  UNAUTHORIZED_REASON_DIMENSION,
} from '../../../lambdas/observability/metric-names';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { type DynamoDbStandIn, startDynamoDbStandIn, wireHotItem } from '../../support/dynamodb-stand-in';
import { captureEmf, dataPoints, type EmfLine } from '../../support/emf';

/**
 * The metrics of the module-level authorizer handler, as Lambda would ship them: Powertools
 * Metrics prints one embedded-metric-format (EMF) JSON line per decision on stdout, which
 * CloudWatch turns into metrics. The lines are captured and read as CloudWatch would.
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

  beforeAll(async () => {
    standIn = await startDynamoDbStandIn();
    module = await importWithEnv(
      { ...LAMBDA_ENV, DYNAMODB_ENDPOINT: standIn.endpoint },
      () => import('../../../lambdas/api-key-authorizer'),
    );
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    emf = captureEmf();
    for (const level of ['debug', 'info', 'warn', 'error'] as const) jest.spyOn(logger, level).mockImplementation(() => undefined);
    standIn.respond((request) => (request.operation === 'GetItem' ? { json: { Item: wireHotItem(token) } } : { json: {} }));
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const request = (resource: string, headers: Record<string, string> = { 'x-api-key': token }, method = 'GET') =>
    module.handler(authorizerEvent({ method, resource, headers }));

  it('counts an allowed request as Authorized, over the service and function only', async () => {
    await request('/v1/customers');

    expect(dataPoints(emf)).toEqual([
      { namespace: METRICS_NAMESPACE, metric: AUTHORIZER_METRICS.allowed, unit: 'Count', value: 1, dimensions: DEFAULT_DIMENSIONS },
    ]);
  });

  it('counts a request denied for permission as Denied, in total and per code', async () => {
    const result = await request('/v1/customers', { 'x-api-key': token }, 'POST');
    expect(result.context).toEqual({ code: 'write_action_not_allowed_for_customer', organization_id: 'acme' });

    expect(dataPoints(emf)).toEqual([
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

    expect(dataPoints(emf).map((point) => point.dimensions[DENY_CODE_DIMENSION])).toEqual([undefined, 'route_not_allowed']);
  });

  it.each([
    ['missing', {}],
    ['malformed', { 'x-api-key': 'kw_not-a-key' }],
  ])('counts a %s key as Unauthorized, in total and per reason, without reading the table', async (reason, headers) => {
    standIn.requests.length = 0;
    await expect(request('/v1/customers', headers)).rejects.toThrow('Unauthorized');

    expect(standIn.requests).toEqual([]);
    expect(dataPoints(emf)).toEqual([
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

    expect(dataPoints(emf).map((point) => point.dimensions[UNAUTHORIZED_REASON_DIMENSION])).toEqual([undefined, 'unknown']);
  });

  it('publishes nothing when the decision cannot be made (the Lambda Errors metric counts those)', async () => {
    standIn.respond(() => ({ status: 400, json: { __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message: 'no' } }));
    await expect(request('/v1/customers')).rejects.toThrow();

    expect(emf).toEqual([]);
  });

  it('puts no key id, organization id or token in a dimension or anywhere in the line', async () => {
    await request('/v1/customers');
    await request('/v1/customers', { 'x-api-key': token }, 'POST');
    await request('/v1/nowhere');

    expect(emf).toHaveLength(3);
    const dimensionNames = new Set(dataPoints(emf).flatMap((point) => Object.keys(point.dimensions)));
    expect([...dimensionNames].sort()).toEqual([FUNCTION_DIMENSION, 'service', DENY_CODE_DIMENSION].sort());
    const text = JSON.stringify(emf);
    expect(text).not.toContain('key-1');
    expect(text).not.toContain('acme');
    expect(text).not.toContain(token);
  });
});
