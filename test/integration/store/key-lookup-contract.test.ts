import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { hotKeyRead, usageWrite } from '../../../lambdas/adapters/dynamodb/hot-key-requests';
import { DynamoDbHotKeyStore } from '../../../lambdas/adapters/dynamodb/hot-keys';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { ManualClock } from '../../../lambdas/domain/clock';
import type { HotKeyStore } from '../../../lambdas/domain/ports';
import { hashToken } from '../../../lambdas/domain/token';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { createTestTable, thinKeyLookup } from '../../support/dynamodb';
import { testServices } from '../../support/services';

const ORG = 'acme';
const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;
const WINDOW_MS = 60_000;

/**
 * One set of HotKeyStore cases (the authorizer's read and usage write) run against both adapters on
 * DynamoDB Local: the SDK store every other function uses, and the thin HTTP adapter the
 * authorizer uses. Both must read the same items into the same values and write under the same
 * conditions.
 */
describe.each([
  [
    'DynamoDbHotKeyStore (AWS SDK)',
    (client: DynamoDBDocumentClient, tableName: string): HotKeyStore => new DynamoDbHotKeyStore(client, tableName),
  ],
  ['DynamoDbHttpKeyLookup (thin adapter)', (_client: DynamoDBDocumentClient, tableName: string): HotKeyStore => thinKeyLookup(tableName)],
])('HotKeyStore contract: %s on DynamoDB Local', (_name, adapter) => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let db: DynamoDBDocumentClient;
  let keys: ApiKeyService;
  let lookup: HotKeyStore;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable();
    db = DynamoDBDocumentClient.from(table.client);
    const services = testServices(new DynamoDbKeyStore(db, table.tableName), clock);
    keys = services.keys;
    await services.organizations.create({ name: 'Acme', id: ORG, admins: [ADMIN.email] });
    lookup = adapter(db, table.tableName);
  });

  afterAll(async () => {
    await table.drop();
  });

  const hotItemKey = (value: string) => ({ pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' });
  const hotItem = async (value: string) => (await db.send(new GetCommand({ TableName: table.tableName, Key: hotItemKey(value) }))).Item;
  const keyItem = async (id: string) =>
    (await db.send(new GetCommand({ TableName: table.tableName, Key: { pk: `ORG#${ORG}`, sk: `KEY#${id}` } }))).Item;

  describe('findByHash', () => {
    it('reads a key into the hot key the authorizer decides on', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, { permissions: { invoice: ['read'], customer: ['read', 'write'] } });
      await expect(lookup.findByHash(hashToken(value))).resolves.toEqual({
        tokenHash: hashToken(value),
        organizationId: ORG,
        apiKeyId: id,
        permissions: { customer: ['read', 'write'], invoice: ['read'] },
        expiresAt: null,
        lastUsedAt: null,
      });
    });

    it('reads a hot item of the previous release (permissions as a map of lists) into the same hot key', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, { permissions: { invoice: ['read'], customer: ['read', 'write'], plan: [] } });
      expect(await hotItem(value)).toMatchObject({ permissions: 'rw:customer;r:invoice;:plan' });
      await db.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: hotItemKey(value),
          UpdateExpression: 'SET #permissions = :map',
          ExpressionAttributeNames: { '#permissions': 'permissions' },
          ExpressionAttributeValues: { ':map': { customer: ['read', 'write'], invoice: ['read'], plan: [] } },
        }),
      );
      await expect(lookup.findByHash(hashToken(value))).resolves.toEqual({
        tokenHash: hashToken(value),
        organizationId: ORG,
        apiKeyId: id,
        permissions: { customer: ['read', 'write'], invoice: ['read'], plan: [] },
        expiresAt: null,
        lastUsedAt: null,
      });
    });

    it('reads the expiry of a key pending rotation', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, {});
      await keys.rotate(ORG, ADMIN, id, { expires_in: '1h' });
      await expect(lookup.findByHash(hashToken(value))).resolves.toMatchObject({ expiresAt: '2036-11-26T05:00:00.000Z' });
    });

    it('answers undefined for a hash no key has', async () => {
      await expect(lookup.findByHash(hashToken('kw_never_issued'))).resolves.toBeUndefined();
    });

    it.each<[string, string, unknown, Record<string, unknown>]>([
      ['expires_at as a number, passed on as text', 'expires_at', 4102444800, { expiresAt: '4102444800' }],
      ['expires_at as a map, passed on as text', 'expires_at', { at: '2099-01-01T00:00:00.000Z' }, { expiresAt: '[object Object]' }],
      ['expires_at as binary, passed on as text', 'expires_at', new Uint8Array([50, 48]), { expiresAt: '50,48' }],
      ['expires_at as NULL, read as none', 'expires_at', null, { expiresAt: null }],
      ['last_used_at as a number, read as never', 'last_used_at', 1, { lastUsedAt: null }],
      [
        'permissions as a string set per resource',
        'permissions',
        { customer: new Set(['read', 'write']) },
        { permissions: { customer: new Set(['read', 'write']) } },
      ],
      ['permissions as a list', 'permissions', ['customer'], { permissions: ['customer'] }],
      ['permissions as a boolean', 'permissions', true, { permissions: true }],
      [
        'permissions as a compact string with modes out of order, passed on as stored',
        'permissions',
        'wr:customer',
        { permissions: 'wr:customer' },
      ],
      [
        'permissions as a compact string with a repeated resource',
        'permissions',
        'r:customer;w:customer',
        { permissions: 'r:customer;w:customer' },
      ],
      ['organization_id as a number, passed on as stored (decide refuses it)', 'organization_id', 42, { organizationId: 42 }],
    ])('reads malformed stored data as the SDK does: %s', async (_case, attribute, stored, expected) => {
      const { value } = await keys.create(ORG, ADMIN, {});
      await db.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: hotItemKey(value),
          UpdateExpression: 'SET #attribute = :stored',
          ExpressionAttributeNames: { '#attribute': attribute },
          ExpressionAttributeValues: { ':stored': stored },
        }),
      );
      await expect(lookup.findByHash(hashToken(value))).resolves.toMatchObject(expected);
    });
  });

  describe('recordUsage', () => {
    beforeEach(() => {
      clock.set('2036-11-26T04:00:00.000Z');
    });

    const staleBefore = (at: Date) => new Date(at.getTime() - WINDOW_MS);

    it('writes last_used_at on the hot item only, changing no version; the management reads show it', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, {});
      const hot = (await lookup.findByHash(hashToken(value)))!;
      const at = clock.now();
      await expect(lookup.recordUsage(hot, at, staleBefore(at))).resolves.toBe(true);
      expect(await hotItem(value)).toMatchObject({ last_used_at: at.toISOString(), version: 1 });
      expect(await keyItem(id)).toMatchObject({ version: 1 });
      expect((await keyItem(id))?.last_used_at).toBeUndefined();
      await expect(lookup.findByHash(hashToken(value))).resolves.toMatchObject({ lastUsedAt: at.toISOString() });
      await expect(keys.get(ORG, id)).resolves.toMatchObject({ last_used_at: at.toISOString() });
      const listed = await keys.list(ORG, { limit: 100 });
      expect(listed.items.find((key) => key.id === id)).toMatchObject({ last_used_at: at.toISOString() });
    });

    it('consumes one write unit a write, and one read unit a lookup (ReturnConsumedCapacity)', async () => {
      const { value } = await keys.create(ORG, ADMIN, { permissions: { customer: ['read', 'write'], invoice: ['read'] } });
      const hot = (await lookup.findByHash(hashToken(value)))!;
      const at = clock.now();
      const write = await db.send(
        new UpdateCommand({ ...usageWrite(table.tableName, hot, at, staleBefore(at)), ReturnConsumedCapacity: 'TOTAL' }),
      );
      expect(write.ConsumedCapacity?.CapacityUnits).toBe(1);
      const read = await db.send(new GetCommand({ ...hotKeyRead(table.tableName, hot.tokenHash), ReturnConsumedCapacity: 'TOTAL' }));
      expect(read.ConsumedCapacity?.CapacityUnits).toBe(1);
    });

    it('writes at most once per 60 s window: not at 59.999 s, nor exactly at the edge, then again after it', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, {});
      const hot = (await lookup.findByHash(hashToken(value)))!;
      const first = clock.now();
      await expect(lookup.recordUsage(hot, first, staleBefore(first))).resolves.toBe(true);

      const early = new Date(first.getTime() + WINDOW_MS - 1);
      await expect(lookup.recordUsage(hot, early, staleBefore(early))).resolves.toBe(false);
      // The condition is last_used_at < staleBefore: a use exactly one window old does not count as stale.
      const edge = new Date(first.getTime() + WINDOW_MS);
      await expect(lookup.recordUsage(hot, edge, staleBefore(edge))).resolves.toBe(false);
      expect(await hotItem(value)).toMatchObject({ last_used_at: first.toISOString() });
      await expect(keys.get(ORG, id)).resolves.toMatchObject({ last_used_at: first.toISOString() });

      const later = new Date(first.getTime() + WINDOW_MS + 1);
      await expect(lookup.recordUsage(hot, later, staleBefore(later))).resolves.toBe(true);
      expect(await hotItem(value)).toMatchObject({ last_used_at: later.toISOString() });
      await expect(keys.get(ORG, id)).resolves.toMatchObject({ last_used_at: later.toISOString() });
    });

    it('answers false and recreates nothing for a key deleted after it was read', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, {});
      await keys.create(ORG, ADMIN, {});
      const hot = (await lookup.findByHash(hashToken(value)))!;
      await keys.delete(ORG, ADMIN, id);
      const at = clock.now();
      await expect(lookup.recordUsage(hot, at, staleBefore(at))).resolves.toBe(false);
      expect(await hotItem(value)).toBeUndefined();
      expect(await keyItem(id)).toBeUndefined();
    });

    it('never writes the key item (its version and every other attribute stay as they were)', async () => {
      const { id, value } = await keys.create(ORG, ADMIN, {});
      const before = await keyItem(id);
      const hot = (await lookup.findByHash(hashToken(value)))!;
      const at = clock.now();
      await expect(lookup.recordUsage(hot, at, staleBefore(at))).resolves.toBe(true);
      expect(await keyItem(id)).toEqual(before);
    });
  });
});
