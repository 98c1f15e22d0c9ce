import { inspect } from 'node:util';
import { ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import { generateToken, hashToken } from '../../../lambdas/domain/token';
import { logger } from '../../../lambdas/runtime/logger';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';

/**
 * The module-level handler, wired from the environment, against DynamoDB faults that DynamoDB
 * Local cannot produce. Behaviour against the real engine is in test/integration/authorizer.
 */
const TABLE_NAME = 'keyward-unit';
const dynamo = mockClient(DynamoDBDocumentClient);

function hotItem(token: string, extra: Record<string, unknown> = {}) {
  return {
    pk: `KEYHASH#${hashToken(token)}`,
    sk: 'KEYHASH',
    organization_id: 'acme',
    api_key_id: 'key-1',
    permissions: { customer: ['read'] },
    ...extra,
  };
}

describe('api-key authorizer handler', () => {
  let module: typeof AuthorizerModule;
  const token = generateToken('kw');
  const event = () => authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { 'x-api-key': token } });
  let output: string;

  beforeAll(async () => {
    module = await importWithEnv({ TABLE_NAME, AWS_REGION: 'us-east-1' }, () => import('../../../lambdas/api-key-authorizer'));
  });

  beforeEach(() => {
    dynamo.reset();
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

  it('reads the hot item with one strongly consistent GetItem on the configured table', async () => {
    dynamo.on(GetCommand).resolves({ Item: hotItem(token, { last_used_at: new Date().toISOString() }) });
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    const reads = dynamo.commandCalls(GetCommand);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: `KEYHASH#${hashToken(token)}`, sk: 'KEYHASH' },
      ConsistentRead: true,
    });
  });

  it.each([
    ['ProvisionedThroughputExceededException', () => new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} })],
    ['ThrottlingException', () => new ThrottlingException({ message: 'rate exceeded', $metadata: {} })],
  ])('never allows when the key read fails with %s', async (_name, fault) => {
    dynamo.on(GetCommand).rejects(fault());
    await expect(module.handler(event())).rejects.toThrow();
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('still allows, and logs a warning, when recording the use fails', async () => {
    dynamo.on(GetCommand).resolves({ Item: hotItem(token) });
    dynamo.on(TransactWriteCommand).rejects(new ThrottlingException({ message: 'rate exceeded', $metadata: {} }));
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(result.context).toEqual({ organization_id: 'acme', api_key_id: 'key-1' });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(output).toMatch(/^warn \[\s*'could not record key usage'/);
    expect(output).toContain("api_key_id: 'key-1'");
  });

  it('still denies for permission when recording the use fails', async () => {
    dynamo.on(GetCommand).resolves({ Item: hotItem(token, { permissions: { invoice: ['read'] } }) });
    dynamo.on(TransactWriteCommand).rejects(new ThrottlingException({ message: 'rate exceeded', $metadata: {} }));
    const result = await module.handler(event());
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(result.context).toEqual({ code: 'read_action_not_allowed_for_customer' });
  });

  it('never writes the token to a log line', async () => {
    dynamo.on(GetCommand).rejects(new ThrottlingException({ message: 'rate exceeded', $metadata: {} }));
    await expect(module.handler(event())).rejects.toThrow();
    dynamo.on(GetCommand).resolves({ Item: hotItem(token) });
    dynamo.on(TransactWriteCommand).rejects(new Error('boom'));
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
    ({ tokenFrom } = await importWithEnv({ TABLE_NAME }, () => import('../../../lambdas/api-key-authorizer')));
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
