import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { withHotKeyCache } from '../../../lambdas/adapters/hot-key-cache';
import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import { ManualClock } from '../../../lambdas/domain/clock';
import { EXAMPLE_ROUTES } from '../../../lambdas/domain/routes';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { createTestTable, lambdaEnvironment, thinKeyLookup } from '../../support/dynamodb';
import { testServices } from '../../support/services';

const ORG = 'acme';
const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;
const CACHE_MS = 1000;

/** The in-function hot-key cache against the real engine: its revocation lag is exactly its TTL. */
describe('api-key authorizer with the hot-key cache (DynamoDB Local)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let store: DynamoDbKeyStore;
  let keys: ApiKeyService;
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
  });

  afterAll(async () => {
    await table.drop();
  });

  /** The authorizer over its thin adapter on the real engine, behind a cache of `ttlMs` (0: no cache). */
  function authorizer(ttlMs: number) {
    const lookup = thinKeyLookup(table.tableName);
    const cached = ttlMs > 0 ? withHotKeyCache(lookup, { ttlMs, maxEntries: 100, clock }) : lookup;
    return createApiKeyAuthorizer({ store: cached, clock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
  }

  beforeEach(() => {
    clock.set('2036-11-26T04:00:00.000Z');
  });

  const customers = (value: string) => authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { 'x-api-key': value } });
  const bearer = (value: string) =>
    authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { authorization: `Bearer ${value}` } });

  it('keeps allowing a deleted key until the TTL has passed, then answers 401', async () => {
    const authorize = authorizer(CACHE_MS);
    const { id, value } = await keys.create(ORG, ADMIN, {});
    await expect(authorize(customers(value))).resolves.toMatchObject({ principalId: id });
    await keys.delete(ORG, ADMIN, id);

    clock.advance(CACHE_MS - 1);
    await expect(authorize(customers(value))).resolves.toMatchObject({ principalId: id });
    await expect(authorize(bearer(value))).resolves.toMatchObject({ principalId: id });
    clock.advance(1);
    await expect(authorize(customers(value))).rejects.toThrow(/^Unauthorized$/);
  });

  it('enforces an expiry the cached key carries on time, without waiting for the TTL', async () => {
    const authorize = authorizer(60_000);
    const { id, value } = await keys.create(ORG, ADMIN, {});
    await keys.rotate(ORG, ADMIN, id, { expires_in: '1h' });
    clock.advance(60 * 60 * 1000 - 30_000);
    await expect(authorize(customers(value))).resolves.toMatchObject({ principalId: id });
    clock.advance(30_000);
    await expect(authorize(customers(value))).rejects.toThrow(/^Unauthorized$/);
  });

  it('answers 401 at once for a deleted key with the cache off', async () => {
    const authorize = authorizer(0);
    const { id, value } = await keys.create(ORG, ADMIN, {});
    await expect(authorize(customers(value))).resolves.toMatchObject({ principalId: id });
    await keys.delete(ORG, ADMIN, id);
    await expect(authorize(customers(value))).rejects.toThrow(/^Unauthorized$/);
  });

  it('records last_used_at at most once per 60 s while serving the key from the cache', async () => {
    const authorize = authorizer(60_000);
    const { id, value } = await keys.create(ORG, ADMIN, {});
    await authorize(customers(value));
    const first = (await store.getKey(ORG, id))?.lastUsedAt;
    expect(first).toBe(clock.now().toISOString());
    clock.advance(30_000);
    await authorize(customers(value));
    await expect(store.getKey(ORG, id)).resolves.toMatchObject({ lastUsedAt: first });
    clock.advance(30_001);
    await authorize(customers(value));
    await expect(store.getKey(ORG, id)).resolves.toMatchObject({ lastUsedAt: clock.now().toISOString() });
  });
});
