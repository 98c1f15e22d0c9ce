import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import { ManualClock } from '../../../lambdas/domain/clock';
import type { Permissions } from '../../../lambdas/domain/permissions';
import type { HotKeyStore } from '../../../lambdas/domain/ports';
import { EXAMPLE_ROUTES } from '../../../lambdas/domain/routes';
import { checksumOf, generateToken, hashToken } from '../../../lambdas/domain/token';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { evaluatePolicy } from '../../../local/gateway-policy';
import { authorizerEvent, importWithEnv, methodArn } from '../../support/authorizer-events';
import { documentedAuthorizerEvent } from '../../support/aws-sample-events';
import { createTestTable, lambdaEnvironment, thinKeyLookup } from '../../support/dynamodb';
import { testServices } from '../../support/services';

const ORG = 'acme';
const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;

/** Wraps a store and counts calls per method, to prove what the authorizer did (or did not) read and write. */
function counting<S extends object>(inner: S): { store: S; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

/** The authorizer reads through its thin adapter (adapters/dynamodb-http/), as deployed; keys are managed through the SDK store. */
describe('api-key authorizer (DynamoDB Local)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let store: DynamoDbKeyStore;
  let counted: ReturnType<typeof counting<HotKeyStore>>;
  let keys: ApiKeyService;
  let authorize: AuthorizerModule.ApiKeyAuthorizer;
  let createApiKeyAuthorizer: typeof AuthorizerModule.createApiKeyAuthorizer;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable();
    ({ createApiKeyAuthorizer } = await importWithEnv(
      lambdaEnvironment(table.tableName),
      () => import('../../../lambdas/api-key-authorizer'),
    ));
    store = new DynamoDbKeyStore(DynamoDBDocumentClient.from(table.client), table.tableName);
    const services = testServices(store, clock);
    keys = services.keys;
    await services.organizations.create({ name: 'Acme', id: ORG, admins: [ADMIN.email] });
    counted = counting(thinKeyLookup(table.tableName));
    authorize = createApiKeyAuthorizer({ store: counted.store, clock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
  });

  afterAll(async () => {
    await table.drop();
  });

  beforeEach(() => {
    clock.set('2036-11-26T04:00:00.000Z');
    for (const name of Object.keys(counted.calls)) delete counted.calls[name];
  });

  async function newKey(permissions?: Permissions): Promise<{ id: string; value: string }> {
    return keys.create(ORG, ADMIN, permissions ? { permissions } : {});
  }

  const customers = (headers: Record<string, string>) => authorizerEvent({ method: 'GET', resource: '/v1/customers', headers });
  const lastUsedAt = async (id: string) => (await store.getKey(ORG, id))?.lastUsedAt;

  function expectPolicy(result: APIGatewayAuthorizerResult, effect: 'Allow' | 'Deny', arn: string): void {
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: effect, Resource: arn }]);
  }

  describe('401 (throws Unauthorized)', () => {
    it('rejects a request without a key, without reading the store', async () => {
      await expect(authorize(customers({}))).rejects.toThrow(/^Unauthorized$/);
      expect(counted.calls.findByHash).toBeUndefined();
    });

    it('rejects a malformed key without reading the store', async () => {
      await expect(authorize(customers({ 'x-api-key': 'not-a-key' }))).rejects.toThrow(/^Unauthorized$/);
      await expect(authorize(customers({ 'x-api-key': generateToken('other') }))).rejects.toThrow(/^Unauthorized$/);
      expect(counted.calls.findByHash).toBeUndefined();
    });

    it('rejects a key with a bad checksum without reading the store', async () => {
      const { value } = await newKey();
      const body = value.slice(0, -6);
      const wrong = checksumOf(body) === '000000' ? '000001' : '000000';
      await expect(authorize(customers({ 'x-api-key': body + wrong }))).rejects.toThrow(/^Unauthorized$/);
      expect(counted.calls.findByHash).toBeUndefined();
    });

    it('rejects a well-formed key that was never issued, after one read', async () => {
      await expect(authorize(customers({ 'x-api-key': generateToken('kw') }))).rejects.toThrow(/^Unauthorized$/);
      expect(counted.calls.findByHash).toBe(1);
    });

    it('rejects a deleted key on the very next request', async () => {
      const { id, value } = await newKey();
      await expect(authorize(customers({ 'x-api-key': value }))).resolves.toMatchObject({ principalId: id });
      await keys.delete(ORG, ADMIN, id);
      await expect(authorize(customers({ 'x-api-key': value }))).rejects.toThrow(/^Unauthorized$/);
    });

    it('rejects a key from its expires_at on, even before it is retired', async () => {
      const { id, value } = await newKey();
      await keys.rotate(ORG, ADMIN, id, { expires_in: '1h' });
      clock.advance(60 * 60 * 1000 - 1);
      await expect(authorize(customers({ 'x-api-key': value }))).resolves.toMatchObject({ principalId: id });
      clock.advance(1);
      await expect(authorize(customers({ 'x-api-key': value }))).rejects.toThrow(/^Unauthorized$/);
    });

    it('rejects a key instantly rotated away', async () => {
      const { id, value } = await newKey();
      await keys.rotate(ORG, ADMIN, id, { expires_in: 'now' });
      await expect(authorize(customers({ 'x-api-key': value }))).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('allow', () => {
    it('allows a permitted request with the organization and key in the context', async () => {
      const { id, value } = await newKey({ customer: ['read'] });
      const event = customers({ 'x-api-key': value });
      const result = await authorize(event);
      expect(result.principalId).toBe(id);
      expectPolicy(result, 'Allow', event.methodArn);
      expect(result.context).toEqual({ organization_id: ORG, api_key_id: id });
      expect(event.methodArn).toBe(methodArn('GET', '/v1/customers'));
    });

    it('reads the key from x-api-key whatever its case', async () => {
      const { id, value } = await newKey();
      await expect(authorize(customers({ 'X-Api-Key': value }))).resolves.toMatchObject({ principalId: id });
    });

    it('accepts Authorization: Bearer <key> as a fallback', async () => {
      const { id, value } = await newKey();
      const result = await authorize(customers({ Authorization: `Bearer ${value}` }));
      expect(result.principalId).toBe(id);
      expectPolicy(result, 'Allow', methodArn('GET', '/v1/customers'));
    });

    it('takes a new permission into account on the next request', async () => {
      const { id, value } = await newKey({ customer: ['read'] });
      const write = authorizerEvent({ method: 'POST', resource: '/v1/customers', headers: { 'x-api-key': value } });
      expectPolicy(await authorize(write), 'Deny', write.methodArn);
      await keys.update(ORG, ADMIN, id, { permissions: { customer: ['read', 'write'] } });
      expectPolicy(await authorize(write), 'Allow', write.methodArn);
    });
  });

  describe('a hot item the previous release wrote (permissions as a map of lists, issue 15 item 10)', () => {
    it('decides as before: allows what the map grants, denies with the same code what it does not', async () => {
      const { id, value } = await newKey({ customer: ['read'] });
      await DynamoDBDocumentClient.from(table.client).send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' },
          UpdateExpression: 'SET #permissions = :map',
          ExpressionAttributeNames: { '#permissions': 'permissions' },
          ExpressionAttributeValues: { ':map': { customer: ['read'], wallet: [] } },
        }),
      );
      expectPolicy(await authorize(customers({ 'x-api-key': value })), 'Allow', methodArn('GET', '/v1/customers'));
      const write = authorizerEvent({ method: 'POST', resource: '/v1/customers', headers: { 'x-api-key': value } });
      expect((await authorize(write)).context).toEqual({ code: 'write_action_not_allowed_for_customer', organization_id: ORG });
      const wallets = authorizerEvent({ method: 'GET', resource: '/v1/wallets', headers: { 'x-api-key': value } });
      expect((await authorize(wallets)).context).toEqual({ code: 'read_action_not_allowed_for_wallet', organization_id: ORG });
      // A PATCH of the permissions writes the new encoding over it.
      await keys.update(ORG, ADMIN, id, { permissions: { customer: ['read', 'write'] } });
      expectPolicy(await authorize(write), 'Allow', write.methodArn);
    });
  });

  describe('the deployed handler', () => {
    it('decides from its environment through the thin adapter: the table, the endpoint, the credentials', async () => {
      const { handler } = await import('../../../lambdas/api-key-authorizer');
      const { id, value } = await newKey({ customer: ['read'] });
      const result = await handler(customers({ 'x-api-key': value }));
      expect(result.context).toEqual({ organization_id: ORG, api_key_id: id });
      expectPolicy(result, 'Allow', methodArn('GET', '/v1/customers'));
      expect(await lastUsedAt(id)).toEqual(expect.any(String));
      await expect(handler(customers({ 'x-api-key': generateToken('kw') }))).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('deny', () => {
    it('denies with write_action_not_allowed_for_customer when the key lacks write on customer', async () => {
      const { id, value } = await newKey({ customer: ['read'], invoice: ['read', 'write'] });
      const event = authorizerEvent({
        method: 'DELETE',
        resource: '/v1/customers/{id}',
        pathParameters: { id: '42' },
        headers: { 'x-api-key': value },
      });
      const result = await authorize(event);
      expect(result.principalId).toBe(id);
      expectPolicy(result, 'Deny', methodArn('DELETE', '/v1/customers/*'));
      expect(result.context).toEqual({ code: 'write_action_not_allowed_for_customer', organization_id: ORG });
    });

    it('denies a resource granted with no modes', async () => {
      const { value } = await newKey({ customer: ['read'], wallet: [] });
      const result = await authorize(authorizerEvent({ method: 'GET', resource: '/v1/wallets', headers: { 'x-api-key': value } }));
      expect(result.context).toEqual({ code: 'read_action_not_allowed_for_wallet', organization_id: ORG });
    });

    it('denies a route that is not in the route table (fail closed)', async () => {
      const { value } = await newKey();
      const event = authorizerEvent({
        method: 'PUT',
        resource: '/v1/customers/{id}',
        pathParameters: { id: '42' },
        headers: { 'x-api-key': value },
      });
      const result = await authorize(event);
      expectPolicy(result, 'Deny', methodArn('PUT', '/v1/customers/*'));
      expect(result.context).toEqual({ code: 'route_not_allowed', organization_id: ORG });
    });
  });

  describe('allowed_ips (API.md §9): decided from the hot item, no extra read', () => {
    const from = (value: string, sourceIp: string, method = 'GET', resource = '/v1/customers') =>
      authorizerEvent({ method, resource, headers: { 'x-api-key': value }, sourceIp });

    async function restricted(allowed_ips: string[]): Promise<{ id: string; value: string }> {
      return keys.create(ORG, ADMIN, { permissions: { customer: ['read'] }, allowed_ips });
    }

    it.each<[string, string[], string]>([
      ['an IPv4 block', ['203.0.113.0/24'], '203.0.113.77'],
      ['a bare IPv4 address', ['198.51.100.7'], '198.51.100.7'],
      ['an IPv6 block', ['2001:db8::/32'], '2001:db8:1234::1'],
      ['a bare IPv6 address', ['2001:db8::5'], '2001:0db8:0:0:0:0:0:5'],
      ['one of several blocks', ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32'], '192.0.2.200'],
      ['an IPv4 block, from its IPv4-mapped IPv6 form', ['203.0.113.0/24'], '::ffff:203.0.113.9'],
    ])('allows a request from inside %s, with one read', async (_, blocks, sourceIp) => {
      const { id, value } = await restricted(blocks);
      const event = from(value, sourceIp);
      const result = await authorize(event);
      expectPolicy(result, 'Allow', event.methodArn);
      expect(result.context).toEqual({ organization_id: ORG, api_key_id: id });
      expect(counted.calls.findByHash).toBe(1);
    });

    it.each<[string, string[], string | undefined]>([
      ['outside an IPv4 block', ['203.0.113.0/24'], '203.0.114.1'],
      ['next to a bare address', ['198.51.100.7'], '198.51.100.8'],
      ['an IPv4 address against an IPv6 block', ['2001:db8::/32'], '203.0.113.1'],
      ['an IPv6 address against an IPv4 block', ['0.0.0.0/0'], '2001:db8::1'],
      ['no source address', ['203.0.113.0/24'], ''],
      ['a source address that is no address', ['203.0.113.0/24'], 'unknown'],
    ])('denies ip_not_allowed from %s, with one read and no last_used_at', async (_, blocks, sourceIp) => {
      const { id, value } = await restricted(blocks);
      const event = from(value, sourceIp ?? '');
      const result = await authorize(event);
      expect(result.principalId).toBe(id);
      expectPolicy(result, 'Deny', event.methodArn);
      expect(result.context).toEqual({ code: 'ip_not_allowed', organization_id: ORG });
      expect(counted.calls.findByHash).toBe(1);
      expect(counted.calls.recordUsage).toBeUndefined();
      expect(await lastUsedAt(id)).toBeNull();
    });

    it('denies ip_not_allowed before looking at the permissions or the route', async () => {
      const { value } = await restricted(['203.0.113.0/24']);
      expect((await authorize(from(value, '192.0.2.1', 'POST', '/v1/customers'))).context).toEqual({
        code: 'ip_not_allowed',
        organization_id: ORG,
      });
      expect((await authorize(from(value, '192.0.2.1', 'PUT', '/v1/unknown'))).context).toEqual({
        code: 'ip_not_allowed',
        organization_id: ORG,
      });
      // From inside, the permissions decide as before.
      expect((await authorize(from(value, '203.0.113.1', 'POST', '/v1/customers'))).context).toEqual({
        code: 'write_action_not_allowed_for_customer',
        organization_id: ORG,
      });
    });

    it('still answers 401 for an unknown or expired key, whatever the address', async () => {
      await expect(authorize(from(generateToken('kw'), '192.0.2.1'))).rejects.toThrow(/^Unauthorized$/);
    });

    it('takes a PATCH of allowed_ips into account on the next request, and null lifts it', async () => {
      const { id, value } = await restricted(['203.0.113.0/24']);
      expect((await authorize(from(value, '192.0.2.1'))).context).toEqual({ code: 'ip_not_allowed', organization_id: ORG });
      await keys.update(ORG, ADMIN, id, { allowed_ips: ['192.0.2.0/24'] });
      expect((await authorize(from(value, '192.0.2.1'))).context).toEqual({ organization_id: ORG, api_key_id: id });
      expect((await authorize(from(value, '203.0.113.1'))).context).toEqual({ code: 'ip_not_allowed', organization_id: ORG });
      await keys.update(ORG, ADMIN, id, { allowed_ips: null });
      expect((await authorize(from(value, '203.0.113.1'))).context).toEqual({ organization_id: ORG, api_key_id: id });
    });

    it('gives the new key of a rotation the same allowlist', async () => {
      const { id } = await restricted(['203.0.113.0/24']);
      const rotated = await keys.rotate(ORG, ADMIN, id, { expires_in: 'now' });
      expect(rotated.api_key.allowed_ips).toEqual(['203.0.113.0/24']);
      expect((await authorize(from(rotated.api_key.value, '192.0.2.1'))).context).toEqual({ code: 'ip_not_allowed', organization_id: ORG });
      expect((await authorize(from(rotated.api_key.value, '203.0.113.1'))).context).toEqual({
        organization_id: ORG,
        api_key_id: rotated.api_key.id,
      });
    });

    it.each<[string, unknown]>([
      ['a string', '203.0.113.0/24'],
      ['a map', { block: '203.0.113.0/24' }],
      ['a list of numbers', [203, 0, 113, 0]],
      ['a list of malformed blocks', ['203.0.113.0/33', 'example.com']],
    ])('denies every address when the stored allowlist is %s (fail closed)', async (_, stored) => {
      const { value } = await restricted(['203.0.113.0/24']);
      await DynamoDBDocumentClient.from(table.client).send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' },
          UpdateExpression: 'SET allowed_ips = :stored',
          ExpressionAttributeValues: { ':stored': stored },
        }),
      );
      expect((await authorize(from(value, '203.0.113.1'))).context).toEqual({ code: 'ip_not_allowed', organization_id: ORG });
    });
  });

  describe("the organization's usage identifier (API.md §9)", () => {
    it('names the usage identifier of the hot item as usageIdentifierKey on an Allow, from the same one read', async () => {
      const { id, value } = await newKey({ customer: ['read'] });
      await DynamoDBDocumentClient.from(table.client).send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' },
          UpdateExpression: 'SET usage_identifier = :identifier',
          ExpressionAttributeValues: { ':identifier': 'usage-identifier-of-acme-0123456789' },
        }),
      );
      const result = await authorize(customers({ 'x-api-key': value }));
      expect(result).toMatchObject({ principalId: id, usageIdentifierKey: 'usage-identifier-of-acme-0123456789' });
      expect(counted.calls.findByHash).toBe(1);
      // A Deny names none: API Gateway answers 403 before any usage plan.
      const denied = await authorize(authorizerEvent({ method: 'POST', resource: '/v1/customers', headers: { 'x-api-key': value } }));
      expect(denied.usageIdentifierKey).toBeUndefined();
    });

    it('names none for a key whose organization has no identifier yet, on a stage without plans', async () => {
      const { value } = await newKey();
      expect((await authorize(customers({ 'x-api-key': value }))).usageIdentifierKey).toBeUndefined();
    });

    /**
     * What API Gateway does with an authorizer's answer on a stage with plans: every method
     * requires an API key, taken only from `usageIdentifierKey` (apiKeySource AUTHORIZER); an Allow
     * without one is refused 403 Forbidden before the backend, like a Deny.
     */
    const apiGatewayWithPlans = (result: APIGatewayAuthorizerResult) =>
      result.policyDocument.Statement[0]!.Effect === 'Allow' && typeof result.usageIdentifierKey === 'string' ? 200 : 403;
    const FALLBACK = 'keyward-fallback-0123456789abcdef0123456789abcdef01234567';

    it('lets an organization not migrated yet through on a stage with plans: its Allow names the fallback identifier', async () => {
      const withPlans = createApiKeyAuthorizer({
        store: counted.store,
        clock,
        keyPrefix: 'kw',
        routes: EXAMPLE_ROUTES,
        fallbackUsageIdentifier: FALLBACK,
      });
      const { value } = await newKey({ customer: ['read'] });
      // Between the deploy that turns plans on and `keyward migrate`: the hot item has no identifier.
      const result = await withPlans(customers({ 'x-api-key': value }));
      expect(apiGatewayWithPlans(result)).toBe(200);
      expect(result.usageIdentifierKey).toBe(FALLBACK);
      // Without the fallback, the same request is what every request of the organization was: 403.
      expect(apiGatewayWithPlans(await authorize(customers({ 'x-api-key': value })))).toBe(403);
    });

    it("names the organization's own identifier over the fallback once it has one, and none on a Deny", async () => {
      const withPlans = createApiKeyAuthorizer({
        store: counted.store,
        clock,
        keyPrefix: 'kw',
        routes: EXAMPLE_ROUTES,
        fallbackUsageIdentifier: FALLBACK,
      });
      const { value } = await newKey({ customer: ['read'] });
      await DynamoDBDocumentClient.from(table.client).send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' },
          UpdateExpression: 'SET usage_identifier = :identifier',
          ExpressionAttributeValues: { ':identifier': 'usage-identifier-of-acme-0123456789' },
        }),
      );
      expect((await withPlans(customers({ 'x-api-key': value }))).usageIdentifierKey).toBe('usage-identifier-of-acme-0123456789');
      const denied = await withPlans(authorizerEvent({ method: 'POST', resource: '/v1/customers', headers: { 'x-api-key': value } }));
      expect(denied.usageIdentifierKey).toBeUndefined();
    });
  });

  /**
   * With `authorizerCacheTtlSeconds` > 0, API Gateway keys its cache by the identity sources (the
   * key, the method, the resource path) and applies the cached policy to every request with the
   * same key: `GET /v1/customers/2` gets the policy decided for `GET /v1/customers/1`. Run on
   * AWS's documented REQUEST event, with the policy evaluated as API Gateway evaluates it.
   */
  describe("API Gateway's result cache (issue 15 item 5)", () => {
    const customer = (id: string, apiKey: string, method = 'GET') =>
      documentedAuthorizerEvent({ method, resource: '/v1/customers/{id}', pathParameters: { id }, apiKey });

    it('answers with a policy that covers every request sharing its cache entry: another id on the same route', async () => {
      const { value } = await newKey({ customer: ['read'] });
      const result = await authorize(customer('1', value));
      expect(evaluatePolicy(result, customer('1', value).methodArn)?.allowed).toBe(true);
      expect(evaluatePolicy(result, customer('2', value).methodArn)?.allowed).toBe(true);
      expect(evaluatePolicy(result, customer('c%2042', value).methodArn)?.allowed).toBe(true);
    });

    it('denies, with its code, every id of the route it denied', async () => {
      const { value } = await newKey({ customer: ['read'] });
      const result = await authorize(customer('1', value, 'DELETE'));
      expect(result.context).toEqual({ code: 'write_action_not_allowed_for_customer', organization_id: ORG });
      expect(result.policyDocument.Statement).toEqual([
        {
          Action: 'execute-api:Invoke',
          Effect: 'Deny',
          Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/DELETE/v1/customers/*',
        },
      ]);
    });

    it('covers no other method and no other route, whose decisions are cached apart', async () => {
      const { value } = await newKey({ customer: ['read', 'write'], invoice: ['read'] });
      const result = await authorize(customer('1', value));
      expect(evaluatePolicy(result, customer('1', value, 'DELETE').methodArn)?.allowed).toBe(false);
      const invoice = documentedAuthorizerEvent({
        method: 'GET',
        resource: '/v1/invoices/{id}',
        pathParameters: { id: '1' },
        apiKey: value,
      });
      expect(evaluatePolicy(result, invoice.methodArn)?.allowed).toBe(false);
      const list = documentedAuthorizerEvent({ method: 'GET', resource: '/v1/customers', apiKey: value });
      expect(evaluatePolicy(result, list.methodArn)?.allowed).toBe(false);
    });

    it("keeps the policy's Resource within AWS's 512 characters whatever the id's length", async () => {
      const { value } = await newKey({ customer: ['read'] });
      const event = customer('x'.repeat(480), value);
      expect(event.methodArn.length).toBeGreaterThan(512);
      const result = await authorize(event);
      const [statement] = result.policyDocument.Statement as Array<{ Resource: string }>;
      expect(statement!.Resource.length).toBeLessThanOrEqual(512);
      expect(evaluatePolicy(result, event.methodArn)?.allowed).toBe(true);
    });
  });

  describe('fails closed on a malformed hot item (issue 7 item 8)', () => {
    /** Overwrites one attribute of the key's hot item, as corrupt data or a bad manual edit would. */
    async function corrupt(value: string, attribute: string, stored: unknown): Promise<void> {
      await DynamoDBDocumentClient.from(table.client).send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' },
          UpdateExpression: 'SET #attribute = :stored',
          ExpressionAttributeNames: { '#attribute': attribute },
          ExpressionAttributeValues: { ':stored': stored },
        }),
      );
    }

    it.each<[string, unknown]>([
      ['a string', 'readwrite'],
      ['a string per resource', { customer: 'readwrite' }],
      ['a string set per resource', new Set(['read', 'write'])],
      ['a list of strings', ['customer']],
      ['a compact string with an unknown mode letter', 'rx:customer'],
      ['a compact string with modes out of order', 'wr:customer'],
      ['a compact string with a repeated resource', 'r:customer;w:customer'],
      ['a compact string with the modes spelt out', 'read,write:customer'],
      ['a compact string with the name first', 'customer:rw'],
    ])('denies when the stored permissions are %s', async (_, stored) => {
      const { value } = await newKey({ customer: ['read', 'write'] });
      await corrupt(value, 'permissions', stored instanceof Set ? { customer: stored } : stored);
      const event = authorizerEvent({ method: 'POST', resource: '/v1/customers', headers: { 'x-api-key': value } });
      const result = await authorize(event);
      expectPolicy(result, 'Deny', event.methodArn);
      expect(result.context).toEqual({ code: 'write_action_not_allowed_for_customer', organization_id: ORG });
    });

    it.each<[string, unknown]>([
      ['an unparsable string', 'next tuesday'],
      ['an empty string', ''],
      ['a number', 4102444800],
      ['a map', { at: '2099-01-01T00:00:00.000Z' }],
    ])('refuses the key (401) when the stored expires_at is %s', async (_, stored) => {
      const { value } = await newKey();
      await corrupt(value, 'expires_at', stored);
      await expect(authorize(customers({ 'x-api-key': value }))).rejects.toThrow(/^Unauthorized$/);
    });

    it.each<[string, string, unknown]>([
      ['organization_id', 'missing', undefined],
      ['organization_id', 'empty', ''],
      ['organization_id', 'a number', 42],
      ['api_key_id', 'missing', undefined],
    ])('refuses the key (401) when the stored %s is %s', async (attribute, _, stored) => {
      const { value } = await newKey();
      if (stored === undefined) {
        await DynamoDBDocumentClient.from(table.client).send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' },
            UpdateExpression: 'REMOVE #attribute',
            ExpressionAttributeNames: { '#attribute': attribute },
          }),
        );
      } else {
        await corrupt(value, attribute, stored);
      }
      await expect(authorize(customers({ 'x-api-key': value }))).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('last_used_at', () => {
    it('writes the first use at once, then at most once per 60 s', async () => {
      const { id, value } = await newKey();
      const t0 = clock.now().toISOString();
      expect(await lastUsedAt(id)).toBeNull();

      await authorize(customers({ 'x-api-key': value }));
      expect(await lastUsedAt(id)).toBe(t0);
      expect(counted.calls.recordUsage).toBe(1);

      clock.advance(30_000);
      await authorize(customers({ 'x-api-key': value }));
      expect(await lastUsedAt(id)).toBe(t0);
      expect(counted.calls.recordUsage).toBe(1);

      clock.advance(31_000);
      await authorize(customers({ 'x-api-key': value }));
      expect(await lastUsedAt(id)).toBe(clock.now().toISOString());
      expect(counted.calls.recordUsage).toBe(2);
    });

    it('shows the use in the admin view of the key', async () => {
      const { id, value } = await newKey();
      await authorize(customers({ 'x-api-key': value }));
      expect((await keys.get(ORG, id)).last_used_at).toBe(clock.now().toISOString());
    });

    it.each([
      ['POST', '/v1/events'],
      ['POST', '/v1/events/batch'],
    ])('never touches it on the ingestion route %s %s', async (method, resource) => {
      const { id, value } = await newKey();
      const event = authorizerEvent({ method, resource, headers: { 'x-api-key': value } });
      expectPolicy(await authorize(event), 'Allow', event.methodArn);
      expect(await lastUsedAt(id)).toBeNull();
      expect(counted.calls.recordUsage).toBeUndefined();
    });

    it('records the use of an authenticated request denied for permission on a tracked route', async () => {
      const { id, value } = await newKey({ invoice: ['read'] });
      const result = await authorize(customers({ 'x-api-key': value }));
      expect(result.context).toEqual({ code: 'read_action_not_allowed_for_customer', organization_id: ORG });
      expect(await lastUsedAt(id)).toBe(clock.now().toISOString());
    });

    it('records nothing on a route outside the route table', async () => {
      const { id, value } = await newKey();
      await authorize(authorizerEvent({ method: 'GET', resource: '/v1/unknown', headers: { 'x-api-key': value } }));
      expect(await lastUsedAt(id)).toBeNull();
      expect(counted.calls.recordUsage).toBeUndefined();
    });
  });
});
