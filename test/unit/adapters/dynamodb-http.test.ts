import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { DynamoDbHttpClient, type RetryPolicy } from '../../../lambdas/adapters/dynamodb-http/client';
import { DynamoDbHttpError, RetriesExhausted } from '../../../lambdas/adapters/dynamodb-http/errors';
import { DynamoDbHttpKeyLookup } from '../../../lambdas/adapters/dynamodb-http/key-lookup';
import type { HotKey } from '../../../lambdas/domain/api-key';
import { hashToken } from '../../../lambdas/domain/token';
import { type DynamoDbStandIn, dynamoError, type Reply, startDynamoDbStandIn } from '../../support/dynamodb-stand-in';

/**
 * The thin DynamoDB adapter against a local HTTP stand-in, for what DynamoDB Local cannot do:
 * throttle, fail, hang, garble or cut its answers. Its behaviour on the real engine is in
 * test/integration/store/key-lookup-contract.test.ts.
 */
const TABLE = 'keyward-unit';
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
/** Short, so a test of the whole budget takes milliseconds. */
const RETRY: RetryPolicy = { maxAttempts: 3, attemptTimeoutMs: 200, backoffBaseMs: 5, backoffCapMs: 20 };
const TOKEN_HASH = hashToken('kw_unit_token');

const hotItem = (extra: Record<string, unknown> = {}) => ({
  pk: { S: `KEYHASH#${TOKEN_HASH}` },
  sk: { S: 'KEYHASH' },
  organization_id: { S: 'acme' },
  api_key_id: { S: 'key-1' },
  permissions: { M: { customer: { L: [{ S: 'read' }] } } },
  version: { N: '3' },
  ...extra,
});

const KEY: HotKey = {
  tokenHash: TOKEN_HASH,
  organizationId: 'acme',
  apiKeyId: 'key-1',
  permissions: { customer: ['read'] },
  expiresAt: null,
  lastUsedAt: null,
};
const AT = new Date('2036-11-26T04:00:00.000Z');
const STALE_BEFORE = new Date(AT.getTime() - 60_000);

describe('thin DynamoDB adapter (HTTP stand-in)', () => {
  let standIn: DynamoDbStandIn;
  let lookup: DynamoDbHttpKeyLookup;

  beforeAll(async () => {
    standIn = await startDynamoDbStandIn();
    lookup = new DynamoDbHttpKeyLookup(
      new DynamoDbHttpClient({ region: 'eu-west-1', credentials: CREDENTIALS, endpoint: standIn.endpoint, retry: RETRY }),
      TABLE,
    );
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
    standIn.respond(() => ({ json: {} }));
  });

  /** Answers the requests in turn with `replies`, then repeats the last one. */
  function answer(...replies: Reply[]): void {
    let next = 0;
    standIn.respond(() => replies[Math.min(next++, replies.length - 1)]!);
  }

  describe('requests', () => {
    it('reads the hot item with one strongly consistent GetItem in AttributeValue JSON', async () => {
      answer({ json: { Item: hotItem() } });
      await expect(lookup.findByHash(TOKEN_HASH)).resolves.toEqual(KEY);
      expect(standIn.requests).toHaveLength(1);
      const [request] = standIn.requests;
      expect(request!.operation).toBe('GetItem');
      expect(request!.headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(request!.body).toEqual({
        TableName: TABLE,
        Key: { pk: { S: `KEYHASH#${TOKEN_HASH}` }, sk: { S: 'KEYHASH' } },
        ConsistentRead: true,
      });
    });

    it('answers undefined for a hash that has no item', async () => {
      answer({ json: {} });
      await expect(lookup.findByHash(TOKEN_HASH)).resolves.toBeUndefined();
    });

    it('writes last_used_at in one conditional UpdateItem on the hot item (one write unit)', async () => {
      answer({ json: {} });
      await expect(lookup.recordUsage(KEY, AT, STALE_BEFORE)).resolves.toBe(true);
      const [request] = standIn.requests;
      expect(request!.operation).toBe('UpdateItem');
      expect(request!.body).toEqual({
        TableName: TABLE,
        Key: { pk: { S: `KEYHASH#${TOKEN_HASH}` }, sk: { S: 'KEYHASH' } },
        UpdateExpression: 'SET last_used_at = :at',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :stale)',
        ExpressionAttributeValues: { ':at': { S: AT.toISOString() }, ':stale': { S: STALE_BEFORE.toISOString() } },
      });
    });

    it('signs exactly as the SDK signer (@smithy/signature-v4) signs the same request, with the session token', async () => {
      answer({ json: {} });
      await lookup.findByHash(TOKEN_HASH);
      const { headers, body } = standIn.requests[0]!;
      const authorization = String(headers.authorization);
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
      expect(signedHeaders).toEqual(['content-length', 'content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']);
      expect(headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);

      const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
        typeof data === 'string'
          ? data
          : ArrayBuffer.isView(data)
            ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
            : new Uint8Array(data);
      class Sha256 {
        private readonly hash;
        constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
          this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
        }
        update(data: string | ArrayBuffer | ArrayBufferView): void {
          this.hash.update(bytes(data));
        }
        async digest(): Promise<Uint8Array> {
          return new Uint8Array(this.hash.digest());
        }
      }
      // Same signed headers: the SDK also signs an x-amz-content-sha256 header, which SigV4 leaves optional outside S3.
      // Given the same headers and body, the SDK's own signer must come to the same signature.
      const sdkSigner = new SignatureV4({
        service: 'dynamodb',
        region: 'eu-west-1',
        credentials: CREDENTIALS,
        sha256: Sha256,
        applyChecksum: false,
      });
      const date = String(headers['x-amz-date']);
      const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13)}`);
      const url = new URL(standIn.endpoint);
      const expected = await sdkSigner.sign(
        {
          method: 'POST',
          protocol: url.protocol,
          hostname: url.hostname,
          port: Number(url.port),
          path: '/',
          headers: Object.fromEntries(signedHeaders.map((name) => [name, String(headers[name])])),
          body: JSON.stringify(body),
        },
        { signingDate },
      );
      expect(authorization).toBe(expected.headers.authorization);
      expect(authorization).toContain(`Credential=${CREDENTIALS.accessKeyId}/${date.slice(0, 8)}/eu-west-1/dynamodb/aws4_request`);
    });

    it('reuses one keep-alive connection across requests', async () => {
      answer({ json: { Item: hotItem() } });
      const before = standIn.connections();
      for (let i = 0; i < 5; i++) await lookup.findByHash(TOKEN_HASH);
      expect(standIn.requests).toHaveLength(5);
      expect(standIn.connections() - before).toBeLessThanOrEqual(1);
    });
  });

  describe('retries within a bounded budget', () => {
    it.each([
      ['ProvisionedThroughputExceededException', dynamoError('ProvisionedThroughputExceededException')],
      ['ThrottlingException', dynamoError('ThrottlingException')],
      ['RequestLimitExceeded', dynamoError('RequestLimitExceeded')],
      ['500 InternalServerError', { status: 500, json: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' } }],
      ['503 with an HTML body', { status: 503, text: '<html>Service Unavailable</html>' }],
      ['a timeout', { hang: true }],
      ['a reset connection', { reset: true }],
      ['a body cut short', { truncated: '{"Item":{"pk":{"S":"KEYH' }],
    ] satisfies [string, Reply][])('gives up after %s on every attempt, having tried exactly maxAttempts times', async (_name, reply) => {
      answer(reply);
      const error: unknown = await lookup.findByHash(TOKEN_HASH).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetriesExhausted);
      expect((error as RetriesExhausted).attempts).toBe(RETRY.maxAttempts);
      expect(standIn.requests).toHaveLength(RETRY.maxAttempts);
    });

    it('succeeds when an attempt within the budget succeeds', async () => {
      answer(dynamoError('ProvisionedThroughputExceededException'), { reset: true }, { json: { Item: hotItem() } });
      await expect(lookup.findByHash(TOKEN_HASH)).resolves.toEqual(KEY);
      expect(standIn.requests).toHaveLength(3);
    });

    it('sends a retried write with the same ClientRequestToken, freshly signed', async () => {
      answer({ reset: true }, { json: {} });
      await expect(lookup.recordUsage(KEY, AT, STALE_BEFORE)).resolves.toBe(true);
      const [first, second] = standIn.requests;
      expect(second!.body.ClientRequestToken).toBe(first!.body.ClientRequestToken);
      expect(second!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=/);
    });

    it.each([
      ['a 200 whose body is not JSON', { status: 200, text: '<html>hello</html>' }, 'MalformedResponse'],
      ['a 200 whose JSON is not an object', { json: ['Item'] }, 'MalformedResponse'],
      ['an Item that is not a map', { json: { Item: 'hot' } }, 'MalformedResponse'],
      ['an attribute of an unknown type', { json: { Item: hotItem({ api_key_id: { X: 'key-1' } }) } }, 'MalformedResponse'],
      ['an attribute whose value has the wrong type', { json: { Item: hotItem({ api_key_id: { S: 42 } }) } }, 'MalformedResponse'],
      ['an access error', dynamoError('AccessDeniedException', 'not authorized'), 'AccessDeniedException'],
      ['a validation error', dynamoError('ValidationException', 'bad key'), 'ValidationException'],
      ['a 400 that is not JSON', { status: 400, text: 'Bad Request' }, 'Http400'],
    ] satisfies [string, Reply, string][])('fails at once, without retrying, on %s', async (_name, reply, code) => {
      answer(reply);
      const error: unknown = await lookup.findByHash(TOKEN_HASH).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DynamoDbHttpError);
      expect(error).not.toBeInstanceOf(RetriesExhausted);
      expect((error as DynamoDbHttpError).code).toBe(code);
      expect(standIn.requests).toHaveLength(1);
    });
  });

  describe('the usage write', () => {
    it('answers false, having written nothing, when the condition fails (written by another request, or the key is gone)', async () => {
      answer(dynamoError('ConditionalCheckFailedException', 'The conditional request failed'));
      await expect(lookup.recordUsage(KEY, AT, STALE_BEFORE)).resolves.toBe(false);
      expect(standIn.requests).toHaveLength(1);
    });

    it('throws any other failure, for the authorizer to log', async () => {
      answer(dynamoError('ThrottlingException'));
      await expect(lookup.recordUsage(KEY, AT, STALE_BEFORE)).rejects.toBeInstanceOf(RetriesExhausted);
    });
  });

  describe('configuration from the Lambda environment', () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };

    it('fails the cold start naming each missing variable', () => {
      expect(() => DynamoDbHttpClient.fromEnvironment(undefined, {})).toThrow(
        'invalid DynamoDB client configuration: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY must be set',
      );
      expect(() => DynamoDbHttpClient.fromEnvironment(undefined, { ...env, AWS_SECRET_ACCESS_KEY: ' ' })).toThrow(/AWS_SECRET_ACCESS_KEY/);
    });

    it('signs with the region and the credentials of the environment, without a session token when none is set', async () => {
      answer({ json: {} });
      const client = DynamoDbHttpClient.fromEnvironment(standIn.endpoint, env);
      await new DynamoDbHttpKeyLookup(client, TABLE).findByHash(TOKEN_HASH);
      const { headers } = standIn.requests[0]!;
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /);
      expect(headers['x-amz-security-token']).toBeUndefined();
    });
  });
});
