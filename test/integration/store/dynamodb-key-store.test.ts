import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { ManualClock } from '../../../lambdas/domain/clock';
import {
  ApiKeyLimitReached,
  ApiKeyNotFound,
  LastAdmin,
  LastNonExpiringApiKey,
  OrganizationAlreadyExists,
  OrganizationNotFound,
  RotationAlreadyScheduled,
  ValidationFailed,
} from '../../../lambdas/domain/errors';
import { StaleState } from '../../../lambdas/domain/ports';
import { hashToken } from '../../../lambdas/domain/token';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import type { OrganizationService } from '../../../lambdas/service/organization-service';
import { createTestTable } from '../../support/dynamodb';
import { InMemoryScheduler } from '../../support/fakes';
import { testServices } from '../../support/services';

const admin = { type: 'user' as const, email: 'admin@acme.test' };

describe('DynamoDbKeyStore on DynamoDB Local', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let store: DynamoDbKeyStore;
  let clock: ManualClock;
  let scheduler: InMemoryScheduler;
  let keys: ApiKeyService;
  let orgs: OrganizationService;
  let orgCounter = 0;

  beforeAll(async () => {
    table = await createTestTable();
    store = new DynamoDbKeyStore(
      DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
      table.tableName,
    );
  });
  afterAll(() => table.drop());

  beforeEach(() => {
    clock = new ManualClock('2036-11-26T04:00:00.000Z');
    scheduler = new InMemoryScheduler();
    ({ keys, organizations: orgs } = testServices(store, clock, scheduler));
  });

  async function newOrg() {
    orgCounter += 1;
    return orgs.create({ name: `Acme ${orgCounter}`, admins: ['Admin@Acme.test'] });
  }

  async function eventTypes(organizationId: string) {
    return (await store.listAuditEvents(organizationId, { limit: 100 })).items.map((event) => event.type);
  }

  it('creates an organization with its admins and first key, and refuses a second with the same id', async () => {
    const { organization, api_key } = await newOrg();
    expect(await store.getMember(organization.id, 'admin@acme.test')).toEqual({
      organizationId: organization.id,
      email: 'admin@acme.test',
      role: 'admin',
    });
    expect(await store.findByHash(hashToken(api_key.value))).toMatchObject({ apiKeyId: api_key.id, organizationId: organization.id });
    await expect(orgs.create({ name: organization.name, id: organization.id, admins: ['x@acme.test'] })).rejects.toBeInstanceOf(
      OrganizationAlreadyExists,
    );
    expect(await eventTypes(organization.id)).toEqual(['api_key.created']);
  });

  it('refuses members and keys for an unknown organization', async () => {
    await expect(orgs.addMember('nope', 'a@b.test', 'admin')).rejects.toBeInstanceOf(OrganizationNotFound);
    await expect(keys.create('nope', admin, {})).rejects.toBeInstanceOf(OrganizationNotFound);
  });

  it('writes the key and its hot item together, with the created event', async () => {
    const { organization } = await newOrg();
    const created = await keys.create(organization.id, admin, { name: 'ci', permissions: { customer: ['read'] } });
    const stored = await store.getKey(organization.id, created.id);
    expect(stored).toMatchObject({ name: 'ci', permissions: { customer: ['read'] }, expiresAt: null, lastUsedAt: null });
    expect(stored!.encryptedToken).not.toContain(created.value);
    const scoped = await keys.create(organization.id, admin, { permissions: { plan: ['read'], customer: ['write'], invoice: [] } });
    expect(Object.keys((await store.getKey(organization.id, scoped.id))!.permissions)).toEqual(['customer', 'invoice', 'plan']);
    expect(await store.findByHash(hashToken(created.value))).toEqual({
      tokenHash: hashToken(created.value),
      organizationId: organization.id,
      apiKeyId: created.id,
      permissions: { customer: ['read'] },
      expiresAt: null,
      lastUsedAt: null,
    });
    expect(await eventTypes(organization.id)).toEqual(['api_key.created', 'api_key.created', 'api_key.created']);
  });

  it('updates permissions on both items so the authorizer sees them at once', async () => {
    const { organization, api_key } = await newOrg();
    await keys.update(organization.id, admin, api_key.id, { permissions: { invoice: ['read'] }, name: 'renamed' });
    expect((await store.findByHash(hashToken(api_key.value)))!.permissions).toEqual({ invoice: ['read'] });
    expect(await store.getKey(organization.id, api_key.id)).toMatchObject({ name: 'renamed', permissions: { invoice: ['read'] } });
    const [updated] = (await store.listAuditEvents(organization.id, { limit: 1 })).items;
    expect(updated).toMatchObject({
      type: 'api_key.updated',
      details: { changes: { name: 'renamed', permissions: { invoice: ['read'] } } },
    });
  });

  it('rotates instantly in one transaction: old hot item gone, new key inherits name and permissions', async () => {
    const { organization } = await newOrg();
    const old = await keys.create(organization.id, admin, { name: 'prod', permissions: { plan: ['read', 'write'] } });
    const { api_key: next, rotated_api_key } = await keys.rotate(organization.id, admin, old.id, { expires_in: 'now' });
    expect(await store.findByHash(hashToken(old.value))).toBeUndefined();
    expect(await store.getKey(organization.id, old.id)).toBeUndefined();
    expect(next).toMatchObject({ name: 'prod', permissions: { plan: ['read', 'write'] }, expires_at: null });
    expect(rotated_api_key.id).toBe(old.id);
    expect(await store.findByHash(hashToken(next.value))).toMatchObject({ apiKeyId: next.id });
    const [rotated] = (await store.listAuditEvents(organization.id, { limit: 1 })).items;
    expect(rotated).toMatchObject({ type: 'api_key.rotated', apiKeyId: old.id, details: { new_api_key_id: next.id } });
    expect(JSON.stringify(rotated)).not.toContain(next.value);
    expect(scheduler.pending).toEqual([]);
  });

  it('schedules a rotation: the old key keeps working until expires_at, and cannot be rotated twice', async () => {
    const { organization, api_key: old } = await newOrg();
    const { api_key: next } = await keys.rotate(organization.id, admin, old.id, { expires_in: '24h' });
    const expiresAt = '2036-11-27T04:00:00.000Z';
    expect(await store.getKey(organization.id, old.id)).toMatchObject({ expiresAt });
    expect(await store.findByHash(hashToken(old.value))).toMatchObject({ expiresAt });
    const stored = await store.getKey(organization.id, old.id);
    expect(scheduler.pending).toEqual([{ organizationId: organization.id, apiKeyId: old.id, expiresAt, id: stored!.retirementJobId }]);
    await expect(keys.rotate(organization.id, admin, old.id, { expires_in: 'now' })).rejects.toBeInstanceOf(RotationAlreadyScheduled);
    const listed = (await store.listKeys(organization.id, { limit: 10 })).items.map((key) => key.id);
    expect(listed).toEqual([old.id, next.id]);
  });

  it('refuses to delete the last non-expiring key, counting a pending rotation as expiring', async () => {
    const { organization, api_key: first } = await newOrg();
    await expect(keys.delete(organization.id, admin, first.id)).rejects.toBeInstanceOf(LastNonExpiringApiKey);
    const { api_key: next } = await keys.rotate(organization.id, admin, first.id, { expires_in: '1h' });
    await expect(keys.delete(organization.id, admin, next.id)).rejects.toBeInstanceOf(LastNonExpiringApiKey);
    await keys.delete(organization.id, admin, first.id);
    expect(await store.findByHash(hashToken(first.value))).toBeUndefined();
    await expect(keys.get(organization.id, first.id)).rejects.toBeInstanceOf(ApiKeyNotFound);
    expect(await eventTypes(organization.id)).toEqual(['api_key.deleted', 'api_key.rotated', 'api_key.created']);
  });

  it('lets only one of two concurrent deletes pass when two keys remain', async () => {
    for (let round = 0; round < 5; round++) {
      const { organization, api_key: first } = await newOrg();
      const second = await keys.create(organization.id, admin, {});
      const results = await Promise.allSettled([
        keys.delete(organization.id, admin, first.id),
        keys.delete(organization.id, admin, second.id),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(LastNonExpiringApiKey);
      expect((await store.listKeys(organization.id, { limit: 10 })).items).toHaveLength(1);
    }
  });

  it('lets only one of two concurrent rotations of the same key win', async () => {
    const { organization, api_key: instant } = await newOrg();
    const [first, second] = await Promise.allSettled([
      keys.rotate(organization.id, admin, instant.id, { expires_in: 'now' }),
      keys.rotate(organization.id, admin, instant.id, { expires_in: 'now' }),
    ]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    const lost = [first, second].find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ApiKeyNotFound);
    expect((await store.listKeys(organization.id, { limit: 10 })).items).toHaveLength(1);

    const scheduled = (await store.listKeys(organization.id, { limit: 1 })).items[0]!;
    const racing = await Promise.allSettled([
      keys.rotate(organization.id, admin, scheduled.id, { expires_in: '1h' }),
      keys.rotate(organization.id, admin, scheduled.id, { expires_in: '24h' }),
    ]);
    expect(racing.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((racing.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      RotationAlreadyScheduled,
    );
    const listed = (await store.listKeys(organization.id, { limit: 10 })).items;
    expect(listed).toHaveLength(2);
    expect(listed.filter((key) => key.expiresAt === null)).toHaveLength(1);
  });

  it('caps an organization at 100 keys, even under concurrent creates', async () => {
    const { organization } = await newOrg();
    for (let created = 1; created < 98; created += 7) {
      await Promise.all(Array.from({ length: 7 }, () => keys.create(organization.id, admin, {})));
    }
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => keys.create(organization.id, admin, {})));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(ApiKeyLimitReached);
    }
    const page = await store.listKeys(organization.id, { limit: 100 });
    expect(page.items).toHaveLength(100);
    expect(page.nextCursor).toBeNull();
    await expect(keys.rotate(organization.id, admin, page.items[0]!.id, { expires_in: '1h' })).rejects.toBeInstanceOf(ApiKeyLimitReached);
    await keys.rotate(organization.id, admin, page.items[0]!.id, { expires_in: 'now' });
  });

  it('pages keys oldest first and audit events newest first, and rejects a foreign cursor', async () => {
    const { organization, api_key: first } = await newOrg();
    const ids = [first.id];
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      ids.push((await keys.create(organization.id, admin, {})).id);
    }
    const pageOne = await store.listKeys(organization.id, { limit: 2 });
    const pageTwo = await store.listKeys(organization.id, { limit: 2, cursor: pageOne.nextCursor! });
    const pageThree = await store.listKeys(organization.id, { limit: 2, cursor: pageTwo.nextCursor! });
    expect([...pageOne.items, ...pageTwo.items, ...pageThree.items].map((key) => key.id)).toEqual(ids);
    expect(pageThree.nextCursor).toBeNull();
    const events = await store.listAuditEvents(organization.id, { limit: 3 });
    expect(events.items.map((event) => event.apiKeyId)).toEqual(ids.slice(2).reverse());
    await expect(store.listAuditEvents(organization.id, { limit: 3, cursor: pageOne.nextCursor! })).rejects.toBeInstanceOf(
      ValidationFailed,
    );
    await expect(store.listKeys(organization.id, { limit: 3, cursor: 'not a cursor!' })).rejects.toBeInstanceOf(ValidationFailed);
  });

  it('records usage at most once per window and never for a vanished key', async () => {
    const { organization, api_key } = await newOrg();
    const hot = (await store.findByHash(hashToken(api_key.value)))!;
    const t0 = new Date('2036-11-26T04:00:00.000Z');
    expect(await store.recordUsage(hot, t0, new Date(t0.getTime() - 60_000))).toBe(true);
    const t1 = new Date(t0.getTime() + 30_000);
    expect(await store.recordUsage(hot, t1, new Date(t1.getTime() - 60_000))).toBe(false);
    expect((await store.getKey(organization.id, api_key.id))!.lastUsedAt).toBe(t0.toISOString());
    const t2 = new Date(t0.getTime() + 61_000);
    expect(await store.recordUsage(hot, t2, new Date(t2.getTime() - 60_000))).toBe(true);
    expect((await store.findByHash(hot.tokenHash))!.lastUsedAt).toBe(t2.toISOString());
    expect((await store.getKey(organization.id, api_key.id))!.lastUsedAt).toBe(t2.toISOString());
    await keys.rotate(organization.id, admin, api_key.id, { expires_in: 'now' });
    expect(await store.recordUsage(hot, new Date(t2.getTime() + 120_000), t2)).toBe(false);
  });

  it('retires a key only while it is exactly as read (its version), once', async () => {
    const { organization, api_key: old } = await newOrg();
    await keys.rotate(organization.id, admin, old.id, { expires_in: '1h' });
    const pending = (await store.getKey(organization.id, old.id))!;
    const retired = keys.event('api_key.retired', pending, { type: 'system' });
    await expect(store.retireKey({ ...pending, version: pending.version - 1 }, retired)).rejects.toBeInstanceOf(StaleState);
    await store.retireKey(pending, retired);
    await expect(store.retireKey(pending, keys.event('api_key.retired', pending, { type: 'system' }))).rejects.toBeInstanceOf(StaleState);
    expect(await store.getKey(organization.id, old.id)).toBeUndefined();
    expect(await store.findByHash(hashToken(old.value))).toBeUndefined();
    expect((await eventTypes(organization.id)).filter((type) => type === 'api_key.retired')).toHaveLength(1);
  });

  describe('versions', () => {
    const raw = () => DynamoDBDocumentClient.from(table.client);
    const versionsOf = async (organizationId: string, id: string, value: string) => {
      const get = (pk: string, sk: string) =>
        raw().send(new GetCommand({ TableName: table.tableName, Key: { pk, sk }, ConsistentRead: true }));
      const [keyItem, hotItem] = await Promise.all([
        get(`ORG#${organizationId}`, `KEY#${id}`),
        get(`KEYHASH#${hashToken(value)}`, 'KEYHASH'),
      ]);
      return { key: keyItem.Item?.version, hot: hotItem.Item?.version };
    };

    it('starts at 1 on both items and adds one with every change, never with a recorded use', async () => {
      const { organization, api_key } = await newOrg();
      expect(await versionsOf(organization.id, api_key.id, api_key.value)).toEqual({ key: 1, hot: 1 });
      await keys.update(organization.id, admin, api_key.id, { name: 'renamed' });
      expect(await versionsOf(organization.id, api_key.id, api_key.value)).toEqual({ key: 2, hot: 2 });
      const hot = (await store.findByHash(hashToken(api_key.value)))!;
      expect(await store.recordUsage(hot, clock.now(), new Date(clock.now().getTime() - 60_000))).toBe(true);
      expect(await versionsOf(organization.id, api_key.id, api_key.value)).toEqual({ key: 2, hot: 2 });
      await keys.create(organization.id, admin, {});
      await keys.rotate(organization.id, admin, api_key.id, { expires_in: '1h' });
      expect(await versionsOf(organization.id, api_key.id, api_key.value)).toEqual({ key: 3, hot: 3 });
      expect(await store.getKey(organization.id, api_key.id)).toMatchObject({
        version: 3,
        name: 'renamed',
        lastUsedAt: clock.now().toISOString(),
      });
    });

    it('refuses a change made from an earlier read (StaleState) and writes nothing', async () => {
      const { organization, api_key } = await newOrg();
      const read = (await store.getKey(organization.id, api_key.id))!;
      await keys.update(organization.id, admin, api_key.id, { permissions: { customer: ['read'] } });
      const event = keys.event('api_key.updated', read, admin);
      await expect(
        store.updateKey({ key: read, changes: { name: 'stale' }, event, landsBy: new Date().toISOString() }),
      ).rejects.toBeInstanceOf(StaleState);
      await expect(store.deleteKey(read, keys.event('api_key.deleted', read, admin))).rejects.toBeInstanceOf(StaleState);
      expect(await store.getKey(organization.id, api_key.id)).toMatchObject({
        name: null,
        permissions: { customer: ['read'] },
        version: 2,
      });
      expect(await eventTypes(organization.id)).toEqual(['api_key.updated', 'api_key.created']);
    });

    it('sets only the fields a change names, so another field changed since the read survives', async () => {
      const { organization, api_key } = await newOrg();
      const read = (await store.getKey(organization.id, api_key.id))!;
      const updated = await store.updateKey({
        key: read,
        changes: { name: 'only the name' },
        event: keys.event('api_key.updated', read, admin),
        landsBy: new Date().toISOString(),
      });
      expect(updated).toMatchObject({ name: 'only the name', version: 2, permissions: read.permissions });
      expect((await store.findByHash(hashToken(api_key.value)))!.permissions).toEqual(read.permissions);
    });

    it('treats a key written before versions (no version attribute) as version 0, and versions it on its first change', async () => {
      const { organization, api_key } = await newOrg();
      for (const [pk, sk] of [
        [`ORG#${organization.id}`, `KEY#${api_key.id}`],
        [`KEYHASH#${hashToken(api_key.value)}`, 'KEYHASH'],
      ] as const) {
        await raw().send(new UpdateCommand({ TableName: table.tableName, Key: { pk, sk }, UpdateExpression: 'REMOVE version' }));
      }
      expect(await keys.get(organization.id, api_key.id)).toMatchObject({ version: 0 });
      await keys.update(organization.id, admin, api_key.id, { name: 'versioned now' }, [0]);
      expect(await versionsOf(organization.id, api_key.id, api_key.value)).toEqual({ key: 1, hot: 1 });
    });
  });

  it('never lets an organization lose its last admin, even to two concurrent removals', async () => {
    const { organization } = await newOrg();
    await expect(orgs.removeMember(organization.id, 'admin@acme.test')).rejects.toBeInstanceOf(LastAdmin);
    await expect(orgs.addMember(organization.id, 'admin@acme.test', 'member')).rejects.toBeInstanceOf(LastAdmin);
    expect(await store.getMember(organization.id, 'admin@acme.test')).toMatchObject({ role: 'admin' });

    await orgs.addMember(organization.id, 'second@acme.test', 'admin');
    const results = await Promise.allSettled([
      orgs.removeMember(organization.id, 'admin@acme.test'),
      orgs.removeMember(organization.id, 'second@acme.test'),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(LastAdmin);
    expect((await store.listMembers(organization.id)).filter((member) => member.role === 'admin')).toHaveLength(1);

    await orgs.addMember(organization.id, 'plain@acme.test', 'member');
    expect(await orgs.removeMember(organization.id, 'plain@acme.test')).toBe(true);
  });

  it('adds, updates and removes members', async () => {
    const { organization } = await newOrg();
    await orgs.addMember(organization.id, 'Dev@Acme.test', 'member');
    await orgs.addMember(organization.id, 'dev@acme.test', 'admin');
    expect((await store.listMembers(organization.id)).map((m) => [m.email, m.role])).toEqual([
      ['admin@acme.test', 'admin'],
      ['dev@acme.test', 'admin'],
    ]);
    expect(await orgs.removeMember(organization.id, 'dev@acme.test')).toBe(true);
    expect(await orgs.removeMember(organization.id, 'dev@acme.test')).toBe(false);
  });
});
