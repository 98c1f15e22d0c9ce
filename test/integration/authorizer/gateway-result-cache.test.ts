import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { systemClock } from '../../../lambdas/domain/clock';
import type { Permissions } from '../../../lambdas/domain/permissions';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { type Gateway, startGateway } from '../../../local/gateway';
import { createTestTable, lambdaEnvironment } from '../../support/dynamodb';
import { freePort } from '../../support/free-port';
import { testServices } from '../../support/services';

const ORG = 'acme';
const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;
const TTL_SECONDS = 300;

/**
 * The local gateway with API Gateway's authorizer result cache on (`authorizerCacheTtlSeconds`),
 * in front of the real api-key authorizer and example backend on DynamoDB Local, over HTTP (issue
 * 15 item 5): a decision cached for one request is applied to every request with the same key,
 * method and route, as API Gateway applies it.
 */
describe('the local gateway with the authorizer result cache on', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let keys: ApiKeyService;
  let gateway: Gateway;
  let now = Date.parse('2036-11-26T04:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable();
    Object.assign(process.env, lambdaEnvironment(table.tableName));
    const services = testServices(new DynamoDbKeyStore(DynamoDBDocumentClient.from(table.client), table.tableName), systemClock);
    keys = services.keys;
    await services.organizations.create({ name: 'Acme', id: ORG, admins: [ADMIN.email] });
    gateway = await startGateway({
      port: await freePort(),
      jwks: () => ({ keys: [] }),
      isReady: () => true,
      log: () => {},
      lambdasDir: join(__dirname, '..', '..', '..', 'lambdas'),
      authorizerCacheTtlSeconds: TTL_SECONDS,
      now: () => now,
    });
  });

  afterAll(async () => {
    await gateway.close();
    await table.drop();
  });

  const newKey = (permissions: Permissions) => keys.create(ORG, ADMIN, { permissions });

  async function call(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${gateway.url}${path}`, { method, headers });
    return { status: response.status, body: await response.json() };
  }

  it('serves every id of a route from the decision cached for one of them', async () => {
    const { value } = await newKey({ customer: ['read'] });
    const headers = { 'x-api-key': value };
    for (const id of ['1', '2', 'c%2042', 'x'.repeat(480)]) {
      expect(await call('GET', `/v1/customers/${id}`, headers)).toMatchObject({
        status: 200,
        body: { resource: 'customer', mode: 'read' },
      });
    }
  });

  it('reuses a decision for its key, method and route for the TTL, and decides afresh after it', async () => {
    const { id, value } = await newKey({ customer: ['read'], invoice: ['read'] });
    const headers = { 'x-api-key': value };
    expect((await call('GET', '/v1/customers/1', headers)).status).toBe(200);
    await keys.delete(ORG, ADMIN, id);
    // Cached: revocation lags by the TTL on this route (docs/protect-your-api.md).
    expect((await call('GET', '/v1/customers/2', headers)).status).toBe(200);
    // Another route has its own entry, decided by the authorizer now.
    expect(await call('GET', '/v1/invoices/1', headers)).toEqual({ status: 401, body: { status: 401, error: 'Unauthorized' } });
    now += TTL_SECONDS * 1000;
    expect((await call('GET', '/v1/customers/3', headers)).status).toBe(401);
  });

  it("keeps each method's decision apart: reading customers is allowed, deleting one denied with its code", async () => {
    const { value } = await newKey({ customer: ['read'] });
    const headers = { 'x-api-key': value };
    expect((await call('GET', '/v1/customers/1', headers)).status).toBe(200);
    expect(await call('DELETE', '/v1/customers/1', headers)).toEqual({
      status: 403,
      body: { status: 403, error: 'Forbidden', code: 'write_action_not_allowed_for_customer' },
    });
    expect((await call('DELETE', '/v1/customers/2', headers)).body).toMatchObject({ code: 'write_action_not_allowed_for_customer' });
  });

  it('answers a request without x-api-key 401 itself: the Bearer fallback is off with a cache', async () => {
    const { value } = await newKey({ customer: ['read'] });
    expect(await call('GET', '/v1/customers', { authorization: `Bearer ${value}` })).toEqual({
      status: 401,
      body: { status: 401, error: 'Unauthorized' },
    });
  });
});
