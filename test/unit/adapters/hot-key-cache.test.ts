import { withHotKeyCache } from '../../../lambdas/adapters/hot-key-cache';
import type * as AuthorizerModule from '../../../lambdas/api-key-authorizer';
import type { HotKey } from '../../../lambdas/domain/api-key';
import { ManualClock } from '../../../lambdas/domain/clock';
import type { KeyStore } from '../../../lambdas/domain/ports';
import { generateToken } from '../../../lambdas/domain/token';
import { authorizerEvent } from '../../support/authorizer-events';
import { type DynamoDbStandIn, startDynamoDbStandIn, wireHotItem } from '../../support/dynamodb-stand-in';

const TTL_MS = 1000;

function hotKey(tokenHash: string, lastUsedAt: string | null = null): HotKey {
  return {
    tokenHash,
    organizationId: 'acme',
    apiKeyId: `key-${tokenHash}`,
    permissions: { customer: ['read'] },
    expiresAt: null,
    lastUsedAt,
  };
}

/** A store holding hot keys in a Map, counting the reads that reach it. */
function fakeStore(keys: HotKey[]) {
  const items = new Map(keys.map((key) => [key.tokenHash, key]));
  const reads: string[] = [];
  let usageResult = true;
  const store = {
    async findByHash(tokenHash: string) {
      reads.push(tokenHash);
      return items.get(tokenHash);
    },
    async recordUsage() {
      return usageResult;
    },
    async getOrganization(id: string) {
      return { id, name: 'Acme', createdAt: '2026-01-01T00:00:00.000Z' };
    },
  } as unknown as KeyStore;
  return {
    store,
    items,
    reads,
    usageWrites: (result: boolean) => {
      usageResult = result;
    },
  };
}

describe('withHotKeyCache', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock('2026-11-26T04:00:00.000Z');
  });

  it('serves a found key from memory within the TTL, without reading', async () => {
    const fake = fakeStore([hotKey('a')]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 10, clock });
    const first = await cached.findByHash('a');
    clock.advance(TTL_MS - 1);
    await expect(cached.findByHash('a')).resolves.toEqual(first);
    expect(fake.reads).toEqual(['a']);
  });

  it('reads again once the TTL has passed, and serves the fresh answer', async () => {
    const fake = fakeStore([hotKey('a')]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 10, clock });
    await cached.findByHash('a');
    fake.items.delete('a');
    clock.advance(TTL_MS);
    await expect(cached.findByHash('a')).resolves.toBeUndefined();
    expect(fake.reads).toEqual(['a', 'a']);
  });

  it('never caches a miss, so a key created a moment later is found at once', async () => {
    const fake = fakeStore([]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 10, clock });
    await expect(cached.findByHash('a')).resolves.toBeUndefined();
    await expect(cached.findByHash('a')).resolves.toBeUndefined();
    fake.items.set('a', hotKey('a'));
    await expect(cached.findByHash('a')).resolves.toEqual(hotKey('a'));
    expect(fake.reads).toEqual(['a', 'a', 'a']);
  });

  it('keeps at most maxEntries keys, evicting the least recently used', async () => {
    const fake = fakeStore([hotKey('a'), hotKey('b'), hotKey('c')]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 2, clock });
    await cached.findByHash('a');
    await cached.findByHash('b');
    await cached.findByHash('a'); // hit: b is now the least recently used
    await cached.findByHash('c'); // evicts b
    expect(fake.reads).toEqual(['a', 'b', 'c']);
    await cached.findByHash('a');
    await cached.findByHash('c');
    expect(fake.reads).toEqual(['a', 'b', 'c']);
    await cached.findByHash('b');
    expect(fake.reads).toEqual(['a', 'b', 'c', 'b']);
  });

  it('refreshes the cached last_used_at when recordUsage wrote, without reading', async () => {
    const fake = fakeStore([hotKey('a', '2026-11-26T03:00:00.000Z')]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 10, clock });
    const key = (await cached.findByHash('a'))!;
    const at = clock.now();
    await expect(cached.recordUsage(key, at, new Date(at.getTime() - 60_000))).resolves.toBe(true);
    await expect(cached.findByHash('a')).resolves.toEqual({ ...key, lastUsedAt: at.toISOString() });
    expect(fake.reads).toEqual(['a']);
  });

  it('does not refresh last_used_at when recordUsage did not write, and re-reads the key instead', async () => {
    const fake = fakeStore([hotKey('a', '2026-11-26T03:00:00.000Z')]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 10, clock });
    const key = (await cached.findByHash('a'))!;
    fake.usageWrites(false);
    fake.items.set('a', hotKey('a', '2026-11-26T03:59:59.000Z'));
    const at = clock.now();
    await expect(cached.recordUsage(key, at, new Date(at.getTime() - 60_000))).resolves.toBe(false);
    await expect(cached.findByHash('a')).resolves.toMatchObject({ lastUsedAt: '2026-11-26T03:59:59.000Z' });
    expect(fake.reads).toEqual(['a', 'a']);
  });

  it('delegates every other method to the store', async () => {
    const fake = fakeStore([]);
    const cached = withHotKeyCache(fake.store, { ttlMs: TTL_MS, maxEntries: 10, clock });
    await expect(cached.getOrganization('acme')).resolves.toMatchObject({ id: 'acme', name: 'Acme' });
  });
});

describe('api-key authorizer handler wiring of the cache', () => {
  const token = generateToken('kw');
  const event = () => authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { 'x-api-key': token } });
  const saved = { ...process.env };
  let standIn: DynamoDbStandIn;

  beforeAll(async () => {
    standIn = await startDynamoDbStandIn();
    standIn.respond((request) =>
      request.operation === 'GetItem' ? { json: { Item: wireHotItem(token, { last_used_at: new Date().toISOString() }) } } : { json: {} },
    );
  });

  afterAll(async () => {
    await standIn.close();
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  /**
   * Loads the entry file afresh under `env`, its DynamoDB endpoint a local HTTP stand-in; returns
   * the handler and a count of the GetItem requests it sent.
   */
  async function handlerWith(env: Record<string, string>): Promise<{ handler: AuthorizerModule.ApiKeyAuthorizer; reads: () => number }> {
    process.env = {
      ...saved,
      TABLE_NAME: 'keyward-unit',
      DYNAMODB_ENDPOINT: standIn.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDUNIT',
      AWS_SECRET_ACCESS_KEY: 'unit-secret',
      ...env,
    };
    const before = standIn.requests.length;
    let handler: AuthorizerModule.ApiKeyAuthorizer | undefined;
    await jest.isolateModulesAsync(async () => {
      ({ handler } = await import('../../../lambdas/api-key-authorizer'));
    });
    return { handler: handler!, reads: () => standIn.requests.slice(before).filter((request) => request.operation === 'GetItem').length };
  }

  it('reads the key on every request when AUTHORIZER_KEY_CACHE_MS is unset', async () => {
    const { handler, reads } = await handlerWith({});
    await handler(event());
    await handler(event());
    expect(reads()).toBe(2);
  });

  it('reads a hot key once within AUTHORIZER_KEY_CACHE_MS', async () => {
    const { handler, reads } = await handlerWith({ AUTHORIZER_KEY_CACHE_MS: '60000' });
    await handler(event());
    await handler(event());
    expect(reads()).toBe(1);
  });

  it('fails the cold start on a bad AUTHORIZER_KEY_CACHE_MS', async () => {
    await expect(handlerWith({ AUTHORIZER_KEY_CACHE_MS: '1s' })).rejects.toThrow(/AUTHORIZER_KEY_CACHE_MS/);
  });
});
