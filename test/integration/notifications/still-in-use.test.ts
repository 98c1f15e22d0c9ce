import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { ManualClock } from '../../../lambdas/domain/clock';
import { hashToken } from '../../../lambdas/domain/token';
import { DynamoDbDeliveryLedger } from '../../../lambdas/notifications/dynamodb-delivery-ledger';
import { createNotifier } from '../../../lambdas/notifications/notifier';
import { createStillInUseWatcher } from '../../../lambdas/notifications/still-in-use-watcher';
import { matchesKeyUsageFilter, matchesNotifierFilter } from '../../../lambdas/notifications/stream-filter';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import type { OrganizationService } from '../../../lambdas/service/organization-service';
import { apiKeyKey, hotKeyKey } from '../../../lambdas/table/layout';
import { createTestTable } from '../../support/dynamodb';
import { RecordingMailer } from '../../support/fakes';
import { testServices } from '../../support/services';
import { allStreamRecords } from '../../support/stream-records';

const ADMIN = 'alice@acme.test';
const HOUR = 60 * 60 * 1000;

describe('the "still in use" warning on DynamoDB Local (a rotated-out key used before its expires_at)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let db: DynamoDBDocumentClient;
  let store: DynamoDbKeyStore;
  let keys: ApiKeyService;
  let organizations: OrganizationService;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');
  let orgCounter = 0;

  beforeAll(async () => {
    table = await createTestTable();
    db = DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } });
    store = new DynamoDbKeyStore(db, table.tableName);
    ({ keys, organizations } = testServices(store, clock));
  });

  afterAll(async () => {
    await table.drop();
  });

  /** An organization whose first key was rotated with a 24 h grace period: that old key, still working. */
  async function rotatedOutKey() {
    const id = `org-${++orgCounter}`;
    const { api_key: first } = await organizations.create({ name: `Acme ${orgCounter}`, id, admins: [ADMIN] });
    const rotation = await keys.rotate(id, { type: 'user', email: ADMIN }, first.id, { expires_in: '24h' });
    const expiresAt = rotation.rotated_api_key.expires_at!;
    const hot = (await store.findByHash(hashToken(first.value)))!;
    return { organizationId: id, keyId: first.id, token: first.value, expiresAt, hot };
  }

  /** The authorizer's own usage write, at `at`. */
  async function useAt(key: Awaited<ReturnType<typeof rotatedOutKey>>, at: Date): Promise<void> {
    expect(await store.recordUsage(key.hot, at, new Date(at.getTime() - 60_000))).toBe(true);
  }

  async function keyUsageRecords(organizationId: string): Promise<DynamoDBRecord[]> {
    const records = await allStreamRecords(table.client, table.tableName);
    return records.filter((record) => matchesKeyUsageFilter(record) && record.dynamodb?.NewImage?.organization_id?.S === organizationId);
  }

  async function stillInUseEvents(organizationId: string) {
    const page = await store.listAuditEvents(organizationId, { limit: 100 });
    return page.items.filter((event) => event.type === 'api_key.still_in_use');
  }

  const watcher = () => createStillInUseWatcher({ store, clock });

  it('writes one api_key.still_in_use event for a use inside the last hour, and the notifier mails it naming the use', async () => {
    const key = await rotatedOutKey();
    const usedAt = new Date(Date.parse(key.expiresAt) - 20 * 60 * 1000);
    await useAt(key, usedAt);
    const mailer = new RecordingMailer();
    const notify = createNotifier({
      store,
      mailer,
      ledger: new DynamoDbDeliveryLedger(db, table.tableName),
      clock,
      stillInUse: watcher(),
    });

    // What the subscription delivers, twice (a retried batch), then again with the event it wrote.
    const organizationRecords = async () =>
      (await allStreamRecords(table.client, table.tableName)).filter(
        (record) => matchesNotifierFilter(record) && record.dynamodb?.NewImage?.organization_id?.S === key.organizationId,
      );
    expect((await notify({ Records: await organizationRecords() })).batchItemFailures).toEqual([]);
    expect((await notify({ Records: await organizationRecords() })).batchItemFailures).toEqual([]);
    expect((await notify({ Records: await organizationRecords() })).batchItemFailures).toEqual([]);

    const events = await stillInUseEvents(key.organizationId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      apiKeyId: key.keyId,
      actor: { type: 'system' },
      occurredAt: clock.now().toISOString(),
      details: { last_used_at: usedAt.toISOString(), expires_at: key.expiresAt, masked_value: expect.any(String) },
    });
    expect(JSON.stringify(events[0])).not.toContain(key.token);
    const warnings = mailer.sent.filter((email) => email.subject === 'An API key about to expire is still in use');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.bcc).toEqual([ADMIN]);
    expect(warnings[0]!.text).toContain(`Last used: ${usedAt.toISOString()} (UTC)`);
    expect(warnings[0]!.text).not.toContain(key.token);
    // The mark changes no version: the key's ETag and concurrency are untouched.
    expect((await store.getKey(key.organizationId, key.keyId))!.version).toBe(2);
  });

  it('writes nothing for a use more than an hour before expires_at', async () => {
    const key = await rotatedOutKey();
    await useAt(key, new Date(Date.parse(key.expiresAt) - HOUR - 60_000));
    const records = await keyUsageRecords(key.organizationId);
    expect(records).toHaveLength(1);

    await watcher()(records[0]!);

    expect(await stillInUseEvents(key.organizationId)).toEqual([]);
  });

  it('marks the key once when several invocations handle its records at the same time', async () => {
    const key = await rotatedOutKey();
    await useAt(key, new Date(Date.parse(key.expiresAt) - 5 * 60 * 1000));
    const [record] = await keyUsageRecords(key.organizationId);

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => watcher()(record!)));

    // A loser either saw the mark's condition fail or (a transaction conflict) throws for the mapping to retry.
    const retried = results.filter((result) => result.status === 'rejected');
    for (const _ of retried) await watcher()(record!);
    expect(await stillInUseEvents(key.organizationId)).toHaveLength(1);
  });

  it('does nothing for a key retired meanwhile, and warns again once the expiry moved', async () => {
    const key = await rotatedOutKey();
    await useAt(key, new Date(Date.parse(key.expiresAt) - 60_000));
    const [record] = await keyUsageRecords(key.organizationId);
    await watcher()(record!);
    expect(await stillInUseEvents(key.organizationId)).toHaveLength(1);

    // A later expiry (what a PATCH of an expiring key does) re-arms the warning for its own last hour.
    const moved = new Date(Date.parse(key.expiresAt) + HOUR).toISOString();
    // Both items, as a PATCH writes them (the hot item carries the expiry the authorizer enforces).
    for (const itemKey of [apiKeyKey(key.organizationId, key.keyId), hotKeyKey(key.hot.tokenHash)]) {
      await db.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: itemKey,
          UpdateExpression: 'SET expires_at = :moved',
          ExpressionAttributeValues: { ':moved': moved },
        }),
      );
    }
    await useAt(key, new Date(Date.parse(moved) - 60_000));
    const records = await keyUsageRecords(key.organizationId);
    for (const each of records) await watcher()(each);
    const events = await stillInUseEvents(key.organizationId);
    expect(events.map((event) => event.details.expires_at).sort()).toEqual([key.expiresAt, moved]);

    const old = (await store.getKey(key.organizationId, key.keyId))!;
    await store.retireKey(
      old,
      keys.event('api_key.retired', old, { type: 'system' }, { expires_at: old.expiresAt, last_used_at: old.lastUsedAt }),
    );
    for (const each of records) await watcher()(each);
    expect(await stillInUseEvents(key.organizationId)).toHaveLength(2);
  });
});
