import { inspect } from 'node:util';
import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import { generateToken, hashToken } from '../../../lambdas/domain/token';
import { logger } from '../../../lambdas/observability/logger';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { type DynamoDbStandIn, dynamoError, type Reply, startDynamoDbStandIn, wireHotItem } from '../../support/dynamodb-stand-in';

/**
 * The module-level handler, wired from the environment, against DynamoDB faults that DynamoDB
 * Local cannot produce, served by a local HTTP stand-in the handler's thin adapter is pointed at
 * (DYNAMODB_ENDPOINT). Behaviour against the real engine is in test/integration/authorizer; the
 * adapter's own retry and parsing cases in test/unit/adapters/dynamodb-http.test.ts.
 */
const TABLE_NAME = 'keyward-unit';
/** The authorizer's default budget (adapters/dynamodb-http/client.ts): 3 attempts. */
const ATTEMPTS = 3;
const LAMBDA_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDUNIT', AWS_SECRET_ACCESS_KEY: 'unit-secret' };

describe('api-key authorizer handler (DynamoDB faults from an HTTP stand-in)', () => {
  let module: typeof AuthorizerModule;
  let standIn: DynamoDbStandIn;
  const token = generateToken('kw');
  const event = () => authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { 'x-api-key': token } });
  let output: string;

  /** GetItem answers `read`, the usage write (UpdateItem) answers `write`. */
  function dynamo(read: Reply, write: Reply = { json: {} }): void {
    standIn.respond((request) => (request.operation === 'GetItem' ? read : write));
  }
  const sent = (operation: string) => standIn.requests.filter((request) => request.operation === operation);

  beforeAll(async () => {
    standIn = await startDynamoDbStandIn();
    module = await importWithEnv(
      { TABLE_NAME, DYNAMODB_ENDPOINT: standIn.endpoint, ...LAMBDA_ENV },
      () => import('../../../lambdas/api-key-authorizer'),
    );
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
    output = '';
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        output += `${level} ${inspect(args, { depth: 10 })}\n`;
      });
    }
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('reads the hot item with one signed, strongly consistent GetItem on the configured table', async () => {
    dynamo({ json: { Item: wireHotItem(token, { last_used_at: new Date().toISOString() }) } });
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(standIn.requests).toHaveLength(1);
    expect(sent('GetItem')[0]!.body).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: { S: `KEYHASH#${hashToken(token)}` }, sk: { S: 'KEYHASH' } },
      ConsistentRead: true,
    });
    expect(sent('GetItem')[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDUNIT\/\d{8}\/us-east-1\/dynamodb\/aws4_request, /,
    );
  });

  it.each<[string, Reply]>([
    ['ProvisionedThroughputExceededException', dynamoError('ProvisionedThroughputExceededException')],
    ['ThrottlingException', dynamoError('ThrottlingException')],
    ['RequestLimitExceeded', dynamoError('RequestLimitExceeded')],
    ['HTTP 500', { status: 500, json: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'internal' } }],
    ['HTTP 503 with a non-JSON body', { status: 503, text: '<html>Service Unavailable</html>' }],
    ['a reset connection', { reset: true }],
    ['a truncated body', { truncated: '{"Item":{"pk":{"S":"KEYHA' }],
  ])('fails (API Gateway 500, never Allow) after %s on every attempt of the budget, writing nothing', async (_name, reply) => {
    dynamo(reply);
    await expect(module.handler(event())).rejects.toThrow(/failed 3 times/);
    expect(sent('GetItem')).toHaveLength(ATTEMPTS);
    expect(sent('UpdateItem')).toHaveLength(0);
    expect(output).toMatch(/^error \[\s*'key lookup failed'/);
  });

  it('fails (API Gateway 500, never Allow) when the table never answers, once each attempt has timed out', async () => {
    dynamo({ hang: true });
    await expect(module.handler(event())).rejects.toThrow(/failed 3 times, last with Timeout/);
    expect(sent('GetItem')).toHaveLength(ATTEMPTS);
  });

  it.each<[string, Reply]>([
    ['a 200 that is not JSON', { status: 200, text: '<html>ok</html>' }],
    ['a 200 that is JSON but no object', { json: 'Item' }],
    ['an Item made of something else than AttributeValues', { json: { Item: { organization_id: 'acme' } } }],
    ['an access error', dynamoError('AccessDeniedException', 'not authorized to perform dynamodb:GetItem')],
  ])('fails at once (API Gateway 500, never Allow) on %s', async (_name, reply) => {
    dynamo(reply);
    await expect(module.handler(event())).rejects.toThrow();
    await expect(module.handler(event())).rejects.not.toThrow(/^Unauthorized$/);
    expect(sent('GetItem')).toHaveLength(2);
    expect(sent('UpdateItem')).toHaveLength(0);
  });

  it('allows once the table answers within the retry budget', async () => {
    let reads = 0;
    standIn.respond((request) =>
      request.operation === 'GetItem' && ++reads < ATTEMPTS ? dynamoError('ThrottlingException') : { json: { Item: wireHotItem(token) } },
    );
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(sent('GetItem')).toHaveLength(ATTEMPTS);
  });

  it('still allows, and logs a warning, when recording the use fails', async () => {
    dynamo({ json: { Item: wireHotItem(token) } }, dynamoError('ThrottlingException', 'rate exceeded'));
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(result.context).toEqual({ organization_id: 'acme', api_key_id: 'key-1' });
    expect(sent('UpdateItem')).toHaveLength(ATTEMPTS);
    expect(output).toMatch(/^warn \[\s*'could not record key usage'/);
    expect(output).toContain("api_key_id: 'key-1'");
  });

  it('still allows, without a warning, when another request recorded the use first', async () => {
    dynamo({ json: { Item: wireHotItem(token) } }, dynamoError('ConditionalCheckFailedException', 'The conditional request failed'));
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(sent('UpdateItem')).toHaveLength(1);
    expect(output).toBe('');
  });

  it('still denies for permission when recording the use fails', async () => {
    dynamo({ json: { Item: wireHotItem(token, { permissions: { invoice: ['read'] } }) } }, { reset: true });
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(result.context).toEqual({ code: 'read_action_not_allowed_for_customer', organization_id: 'acme' });
  });

  it('never writes the token to a log line', async () => {
    dynamo(dynamoError('ThrottlingException', 'rate exceeded'));
    await expect(module.handler(event())).rejects.toThrow();
    dynamo({ json: { Item: wireHotItem(token) } }, { status: 500, text: 'boom' });
    await module.handler(event());
    await module.handler(authorizerEvent({ method: 'PUT', resource: '/v1/nowhere', headers: { 'x-api-key': token } }));
    expect(output).not.toBe('');
    expect(output).not.toContain(token);
    expect(output).not.toContain(token.slice(3, -6));
  });
});

describe('tokenFrom', () => {
  let tokenFrom: typeof AuthorizerModule.tokenFrom;

  beforeAll(async () => {
    ({ tokenFrom } = await importWithEnv({ TABLE_NAME, ...LAMBDA_ENV }, () => import('../../../lambdas/api-key-authorizer')));
  });

  it('prefers x-api-key over Authorization', () => {
    expect(tokenFrom({ Authorization: 'Bearer from-bearer', 'x-api-key': 'from-header' })).toBe('from-header');
  });

  it('falls back to a Bearer Authorization header, scheme case-insensitive', () => {
    expect(tokenFrom({ authorization: 'bearer abc' })).toBe('abc');
    expect(tokenFrom({ Authorization: 'Bearer abc' })).toBe('abc');
  });

  it('ignores other schemes, empty headers and missing headers', () => {
    expect(tokenFrom({ Authorization: 'Basic abc' })).toBeUndefined();
    expect(tokenFrom({ 'x-api-key': '  ' })).toBeUndefined();
    expect(tokenFrom(null)).toBeUndefined();
    expect(tokenFrom({})).toBeUndefined();
  });
});
