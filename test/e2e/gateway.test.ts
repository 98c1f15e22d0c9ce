import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type Gateway, type GatewayOptions, startGateway } from '../../local/gateway';
import { DOCUMENTED_PROXY_EVENT, DOCUMENTED_REQUEST_AUTHORIZER_EVENT } from '../support/aws-sample-events';
import { freePort } from '../support/free-port';
import { received } from './gateway-fixtures/authorizer';

/**
 * Every key of AWS's sample is in `actual`, with a value of the same kind: a string, number or
 * boolean alike; `null` where the sample has `null`; an object where it has one (its entries
 * compared too, except for the request's own maps of names: headers, query, path parameters).
 * Left out: stage variables (keyward's stages define none) and `identity.apiKey` (an API Gateway
 * usage-plan key, null as in the proxy sample: keyward's methods require none).
 */
const where = (at: string, key: string) => `${at}.${key}`;

function expectDocumentedShape(actual: unknown, sample: unknown, at = 'event'): void {
  const MAPS = new Set(['headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters']);
  for (const [key, value] of Object.entries(sample as Record<string, unknown>)) {
    if (key === 'stageVariables' || where(at, key) === 'event.requestContext.identity.apiKey') continue;
    const path = where(at, key);
    const got = (actual as Record<string, unknown>)[key];
    if (value === null) expect({ [path]: got }).toEqual({ [path]: null });
    else if (typeof value !== 'object') expect({ [path]: typeof got }).toEqual({ [path]: typeof value });
    else if (MAPS.has(key)) {
      expect({ [path]: typeof got }).toEqual({ [path]: 'object' });
      const values = Object.values(got as Record<string, unknown>);
      const kind = (item: unknown) => (Array.isArray(item) ? 'list' : typeof item);
      for (const item of Object.values(value as Record<string, unknown>).slice(0, 1))
        expect(values.map(kind)).toEqual(values.map(() => kind(item)));
    } else expectDocumentedShape(got, value, path);
  }
}

/**
 * The local gateway's API Gateway semantics, with scripted authorizer and backend handlers (the
 * real ones are exercised by the other e2e files): which events it builds and how it applies an
 * authorizer's result.
 */
describe('local gateway', () => {
  let gateway: Gateway;
  const lines: string[] = [];

  beforeAll(async () => {
    gateway = await startGateway({
      port: await freePort(),
      jwks: () => ({ keys: [{ kid: 'k1' }] }),
      isReady: () => true,
      log: (line) => lines.push(line),
      lambdasDir: join(__dirname, 'gateway-fixtures'),
      integrationTimeoutMs: 1000,
    });
  });

  afterAll(() => gateway.close());

  async function call(path: string, init: RequestInit & { outcome?: string } = {}) {
    const headers = new Headers(init.headers);
    if (init.outcome) headers.set('x-outcome', init.outcome);
    const response = await fetch(`${gateway.url}${path}`, { ...init, headers });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // binary or plain bodies are compared as text
    }
    return { status: response.status, headers: response.headers, body };
  }

  it('builds a REQUEST authorizer event and a REST v1 proxy event carrying the authorizer context', async () => {
    received.length = 0;
    const reply = await call('/v1/customers/c%2042?tag=a&tag=b', {
      method: 'DELETE',
      headers: { 'X-Api-Key': 'kw_secret', 'X-Dup': 'one' },
      body: '{"hello":"world"}',
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-multi')).toBe('a, b');

    const authorizerEvent = received[0]!;
    expect(authorizerEvent).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/local/DELETE/v1/customers/c%2042',
      resource: '/v1/customers/{id}',
      path: '/v1/customers/c%2042',
      httpMethod: 'DELETE',
      pathParameters: { id: 'c%2042' },
      queryStringParameters: { tag: 'b' },
      multiValueQueryStringParameters: { tag: ['a', 'b'] },
      stageVariables: null,
      requestContext: { stage: 'local', resourcePath: '/v1/customers/{id}', httpMethod: 'DELETE' },
    });
    expect(authorizerEvent.headers).toMatchObject({ 'X-Api-Key': 'kw_secret' });
    expect(authorizerEvent.multiValueHeaders).toMatchObject({ 'X-Dup': ['one'] });

    expect(reply.body).toMatchObject({
      resource: '/v1/customers/{id}',
      httpMethod: 'DELETE',
      pathParameters: { id: 'c%2042' },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      stageVariables: null,
      requestContext: {
        stage: 'local',
        requestId: expect.any(String),
        identity: { sourceIp: '127.0.0.1' },
        authorizer: { organization_id: 'org-1', api_key_id: 'key-1', principalId: 'principal-1', integrationLatency: expect.any(Number) },
      },
    });
  });

  it('prefers literal path segments over parameters, as API Gateway routes', async () => {
    const reply = await call('/v1/events/batch', { method: 'POST' });
    expect(reply.body).toMatchObject({ resource: '/v1/events/batch', pathParameters: null, body: null });
    expect((await call('/v1/events/batch')).body).toEqual({ status: 403, error: 'Forbidden', code: 'route_not_allowed' });
    expect((await call('/v1/events/evt_1')).body).toMatchObject({ resource: '/v1/events/{id}', pathParameters: { id: 'evt_1' } });
  });

  it.each([
    ['a thrown Unauthorized', 'unauthorized', 401, { status: 401, error: 'Unauthorized' }],
    ['any other thrown error', 'crash', 500, { status: 500, error: 'Internal Server Error', code: 'internal_error' }],
    ['a result that is not a policy', 'garbage', 500, { status: 500, error: 'Internal Server Error', code: 'internal_error' }],
    [
      'a context value that is not a primitive',
      'nested-context',
      500,
      { status: 500, error: 'Internal Server Error', code: 'internal_error' },
    ],
    ['a Deny with a code', 'deny-with-code', 403, { status: 403, error: 'Forbidden', code: 'write_action_not_allowed_for_customer' }],
    ['a Deny without a code', 'deny', 403, { status: 403, error: 'Forbidden' }],
    ['an Allow for another method ARN only', 'allow-elsewhere', 403, { status: 403, error: 'Forbidden' }],
  ])('maps %s from the authorizer (outcome %s) to %i', async (_label, outcome, status, body) => {
    const reply = await call('/v1/customers', { outcome });
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual(body);
  });

  it("passes the authorizer's context on as API Gateway does: every value a string, with principalId and integrationLatency", async () => {
    const reply = await call('/v1/customers', { outcome: 'typed-context' });
    expect(reply.status).toBe(200);
    expect((reply.body as APIGatewayProxyEvent).requestContext.authorizer).toEqual({
      count: '1',
      ratio: '0.5',
      flag: 'true',
      off: 'false',
      name: 'x',
      principalId: 'principal-1',
      integrationLatency: expect.any(Number),
    });
  });

  it('gives the authorizer {} and the function null for a resource without path parameters, and both the parameters as sent', async () => {
    received.length = 0;
    expect((await call('/v1/customers')).body).toMatchObject({ pathParameters: null });
    expect(received[0]!.pathParameters).toEqual({});
    received.length = 0;
    const reply = await call('/v1/customers/caf%C3%A9%20%2F%25');
    expect(received[0]!.pathParameters).toEqual({ id: 'caf%C3%A9%20%2F%25' });
    expect(reply.body).toMatchObject({ path: '/v1/customers/caf%C3%A9%20%2F%25', pathParameters: { id: 'caf%C3%A9%20%2F%25' } });
  });

  /** One test per sample event AWS documents (test/support/aws-sample-events.ts): same keys, same kinds of values. */
  describe("AWS's documented sample events", () => {
    it('builds the REQUEST authorizer event of the shape of "Input to an API Gateway Lambda authorizer"', async () => {
      received.length = 0;
      await call('/v1/customers?QueryString1=queryValue1', { headers: { HeaderAuth1: 'headerValue1' } });
      expectDocumentedShape(received[0], DOCUMENTED_REQUEST_AUTHORIZER_EVENT);
      expect(received[0]!.pathParameters).toEqual({});
    });

    it('builds the proxy event of the shape of "Input format of a Lambda function for proxy integration"', async () => {
      const reply = await call('/v1/customers/hello%2Fworld?name=me&multivalueName=you&multivalueName=me', {
        method: 'DELETE',
        headers: { headerName: 'headerValue', 'content-type': 'application/json' },
        body: '{\r\n\t"a": 1\r\n}',
      });
      const event = reply.body as APIGatewayProxyEvent;
      expectDocumentedShape(event, DOCUMENTED_PROXY_EVENT);
      expect(event).toMatchObject({
        queryStringParameters: { name: 'me', multivalueName: 'me' },
        multiValueQueryStringParameters: { name: ['me'], multivalueName: ['you', 'me'] },
        pathParameters: { id: 'hello%2Fworld' },
        body: '{\r\n\t"a": 1\r\n}',
        isBase64Encoded: false,
      });
    });
  });

  it('honours wildcards in the policy resource', async () => {
    expect((await call('/v1/wallets', { outcome: 'allow-wildcard' })).status).toBe(200);
  });

  it('decodes base64 proxy results', async () => {
    const binary = await fetch(`${gateway.url}/v1/plans?binary=1`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it.each([
    ['a result that is not a proxy result', 'broken'],
    ['a header value that cannot be sent', 'bad-header'],
    ['a thrown error', 'throw'],
  ])('answers a handler with %s with 502 internal_error, for that request only', async (_label, query) => {
    expect(await call(`/v1/plans?${query}=1`)).toMatchObject({
      status: 502,
      body: { status: 502, error: 'Bad Gateway', code: 'internal_error' },
    });
    expect(await call('/health')).toMatchObject({ status: 200 });
  });

  it('answers 504 timeout when a handler does not answer within the integration timeout', async () => {
    expect(await call('/v1/plans?hang=1')).toEqual({
      status: 504,
      headers: expect.anything(),
      body: { status: 504, error: 'Gateway Timeout', code: 'timeout' },
    });
    expect(await call('/health')).toMatchObject({ status: 200 });
  });

  it('refuses bodies over 10 MB with 413 request_too_large without calling the authorizer', async () => {
    received.length = 0;
    const reply = await call('/v1/customers', { method: 'POST', body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(reply).toMatchObject({ status: 413, body: { status: 413, error: 'Payload Too Large', code: 'request_too_large' } });
    expect(received).toHaveLength(0);
  });

  it.each([
    '/v1/customers/%ZZ',
    '/v1/customers/%E0%A4%A',
    '/v1/organizations/demo/api_keys/%E0%A4%A',
    '/v1/organizations/demo/api_keys/%C0%AF',
  ])('answers %s, not valid percent-encoding, with 400 invalid_path without calling the authorizer', async (path) => {
    received.length = 0;
    expect(await call(path)).toMatchObject({ status: 400, body: { status: 400, error: 'Bad Request', code: 'invalid_path' } });
    expect(received).toHaveLength(0);
  });

  it("serves the JWKS and /health, and answers unknown routes with each API's gateway response", async () => {
    expect((await call('/local-issuer/.well-known/jwks.json')).body).toEqual({ keys: [{ kid: 'k1' }] });
    expect(await call('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call('/nope')).toMatchObject({ status: 403, body: { status: 403, error: 'Forbidden', code: 'route_not_allowed' } });
    expect(await call('/v1/organizations/acme/nope')).toMatchObject({
      status: 404,
      body: { status: 404, error: 'Not Found', code: 'route_not_found' },
    });
  });

  it('runs a public operation (GET /openapi.json) without calling any authorizer', async () => {
    received.length = 0;
    const reply = await call('/openapi.json', { outcome: 'unauthorized' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ resource: '/openapi.json', requestContext: { resourcePath: '/openapi.json' } });
    expect((reply.body as { requestContext: { authorizer?: unknown } }).requestContext.authorizer).toBeUndefined();
    expect(received).toHaveLength(0);
  });

  it('puts GET /v1/me behind the admin authorizer, with no organization in the path', async () => {
    received.length = 0;
    expect(await call('/v1/me', { outcome: 'unauthorized' })).toMatchObject({ status: 401, body: { status: 401, error: 'Unauthorized' } });
    const reply = await call('/v1/me');
    expect(reply).toMatchObject({ status: 200, body: { resource: '/v1/me', pathParameters: null } });
    expect(received.map((event) => event.resource)).toEqual(['/v1/me', '/v1/me']);
  });

  it("answers a method the management API does not define on one of its resources with its 404, not the protected API's 403", async () => {
    for (const [method, path] of [
      ['POST', '/v1/me'],
      ['DELETE', '/openapi.json'],
    ] as const) {
      expect([method, path, await call(path, { method })]).toEqual([
        method,
        path,
        expect.objectContaining({ status: 404, body: { status: 404, error: 'Not Found', code: 'route_not_found' } }),
      ]);
    }
  });

  it('logs method, path, status and time, and never a header or query value', async () => {
    lines.length = 0;
    await call('/v1/customers?token=kw_query_secret', { headers: { 'x-api-key': 'kw_header_secret' } });
    expect(lines).toEqual([expect.stringMatching(/^GET \/v1\/customers 200 \d+\.\dms$/)]);
    expect(lines.join('\n')).not.toMatch(/secret/);
  });
});

/**
 * What the deployed stage's guards do, as the local gateway reproduces them: stage throttling
 * (429 before any authorizer) and `apiKeyHeaderOnly` (API Gateway's own 401 for a keyless
 * request). The flood figures of docs/security.md, "Unauthenticated floods", come from these counts.
 */
describe('local gateway guards', () => {
  const KEYLESS_REQUESTS = 20;
  const gateways: Gateway[] = [];

  async function start(
    options: Pick<GatewayOptions, 'throttle' | 'apiKeyHeaderOnly' | 'authorizerCacheTtlSeconds' | 'now'>,
  ): Promise<Gateway> {
    const started = await startGateway({
      port: await freePort(),
      jwks: () => ({ keys: [] }),
      isReady: () => true,
      log: () => {},
      lambdasDir: join(__dirname, 'gateway-fixtures'),
      ...options,
    });
    gateways.push(started);
    return started;
  }

  afterAll(() => Promise.all(gateways.map((gateway) => gateway.close())));

  async function status(gateway: Gateway, path: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${gateway.url}${path}`, { headers });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
  }

  it('invokes the authorizer for every keyless request by default, so the Bearer fallback can be read', async () => {
    const gateway = await start({});
    received.length = 0;

    for (let i = 0; i < KEYLESS_REQUESTS; i++) await status(gateway, '/v1/customers', { 'x-outcome': 'unauthorized' });

    expect(received).toHaveLength(KEYLESS_REQUESTS);
  });

  it('answers keyless requests 401 itself with apiKeyHeaderOnly, invoking the authorizer for none of them', async () => {
    const gateway = await start({ apiKeyHeaderOnly: true });
    received.length = 0;

    const replies = [];
    for (let i = 0; i < KEYLESS_REQUESTS; i++) replies.push(await status(gateway, '/v1/customers', { authorization: 'Bearer kw_x' }));

    expect(received).toHaveLength(0);
    expect(new Set(replies.map((reply) => JSON.stringify(reply)))).toEqual(
      new Set([JSON.stringify({ status: 401, type: 'application/json', body: { status: 401, error: 'Unauthorized' } })]),
    );
    // A request that carries x-api-key still reaches the authorizer; the management API is unaffected.
    expect((await status(gateway, '/v1/customers', { 'x-api-key': 'kw_x' })).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it("emulates API Gateway's result cache: one invocation per key, method and route for the TTL, its policy applied to each request", async () => {
    let now = 0;
    const gateway = await start({ authorizerCacheTtlSeconds: 60, now: () => now });
    received.length = 0;
    // The fixture allows exactly the method ARN it was called for, as keyward's authorizer did before issue 15 item 5.
    expect((await status(gateway, '/v1/customers/1', { 'x-api-key': 'k1' })).status).toBe(200);
    expect((await status(gateway, '/v1/customers/1', { 'x-api-key': 'k1' })).status).toBe(200);
    expect(await status(gateway, '/v1/customers/2', { 'x-api-key': 'k1' })).toMatchObject({
      status: 403,
      body: { status: 403, error: 'Forbidden' },
    });
    expect(received).toHaveLength(1);
    // Another key, method or route is another entry; so is the same one after the TTL.
    await status(gateway, '/v1/customers/2', { 'x-api-key': 'k2' });
    await status(gateway, '/v1/invoices/1', { 'x-api-key': 'k1' });
    expect(received).toHaveLength(3);
    now += 60_000;
    expect((await status(gateway, '/v1/customers/2', { 'x-api-key': 'k1' })).status).toBe(200);
    expect(received).toHaveLength(4);
    // The key is an identity source: without it, API Gateway's own 401; a thrown 401 is not cached.
    expect((await status(gateway, '/v1/customers', {})).status).toBe(401);
    expect(received).toHaveLength(4);
    await status(gateway, '/v1/plans', { 'x-api-key': 'k1', 'x-outcome': 'unauthorized' });
    await status(gateway, '/v1/plans', { 'x-api-key': 'k1', 'x-outcome': 'unauthorized' });
    expect(received).toHaveLength(6);
  });

  it('throttles each API over its burst with 429 throttled, before the authorizer runs', async () => {
    // A refill of one request per 1,000 s: only the burst passes within the test.
    const gateway = await start({ throttle: { rateLimit: 0.001, burstLimit: 2 } });
    received.length = 0;

    const protectedReplies = [];
    for (let i = 0; i < 3; i++) protectedReplies.push(await status(gateway, '/v1/customers'));

    expect(protectedReplies.map((reply) => reply.status)).toEqual([200, 200, 429]);
    expect(protectedReplies[2]).toEqual({
      status: 429,
      type: 'application/json',
      body: { status: 429, error: 'Too Many Requests', code: 'throttled' },
    });
    expect(received).toHaveLength(2);
    // The management API has a bucket of its own.
    expect((await status(gateway, '/openapi.json')).status).toBe(200);
  });
});
