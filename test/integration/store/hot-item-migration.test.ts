import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemSize } from '../../../bench/item-size';
import { usageWrite } from '../../../lambdas/adapters/dynamodb/hot-key-requests';
import { DEFAULT_RESOURCE_CATALOG, defaultPermissions } from '../../../lambdas/domain/permissions';
import { hashToken } from '../../../lambdas/domain/token';
import { createOperator, type Operator } from '../../../lambdas/runtime/operator';
import { createTestTable, thinKeyLookup } from '../../support/dynamodb';
import { plainSecretBox } from '../../support/fakes';

const ACTOR = { type: 'operator', principal: 'arn:aws:iam::111122223333:role/keyward-operator' } as const;

/**
 * `keyward migrate` on hot items the previous release wrote (permissions as a map of lists): it
 * rewrites them in the compact encoding (issue 15 item 10), once, leaving damaged maps as stored.
 */
describe('keyward migrate: hot items of the previous release (DynamoDB Local)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let db: DynamoDBDocumentClient;
  let operator: Operator;

  beforeAll(async () => {
    table = await createTestTable();
    db = DynamoDBDocumentClient.from(table.client);
    operator = createOperator({ tableName: table.tableName, dynamodb: table.clientConfig, secrets: plainSecretBox });
  });
  afterAll(async () => {
    operator.close();
    await table.drop();
  });

  const hotKey = (value: string) => ({ pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' });
  const hotItem = async (value: string) =>
    (await db.send(new GetCommand({ TableName: table.tableName, Key: hotKey(value), ConsistentRead: true }))).Item!;
  /** The hot item's permissions as the previous release wrote them (or as damage left them). */
  const writeOld = (value: string, permissions: unknown) =>
    db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: hotKey(value),
        UpdateExpression: 'SET #permissions = :old',
        ExpressionAttributeNames: { '#permissions': 'permissions' },
        ExpressionAttributeValues: { ':old': permissions },
      }),
    );

  it('rewrites every well-formed map as the string, reads the same permissions, and a default key is one write unit again', async () => {
    const { organization, api_key: first } = await operator.organizations.create({ name: 'Old', id: 'old-org', admins: ['a@old.test'] });
    const scoped = await operator.keys.create(organization.id, ACTOR, {
      permissions: { invoice: ['read'], customer: ['write'], plan: [] },
    });
    const damaged = await operator.keys.create(organization.id, ACTOR, { permissions: { customer: ['read'] } });
    const defaults = defaultPermissions(DEFAULT_RESOURCE_CATALOG);
    await writeOld(first.value, defaults);
    await writeOld(scoped.value, { invoice: ['read'], customer: ['write'], plan: [] });
    await writeOld(damaged.value, { customer: 'readwrite' });
    const before = itemSize(await hotItem(first.value));

    const migrated = await operator.migrate();
    expect(migrated.hot_items).toEqual({ rewritten: 2, skipped: 1 });
    expect((await hotItem(first.value)).permissions).toBe(`rw:${Object.keys(defaults).join(',')}`);
    expect((await hotItem(scoped.value)).permissions).toBe('r:invoice;w:customer;:plan');
    // Left as it was: still read as before, granting nothing.
    expect((await hotItem(damaged.value)).permissions).toEqual({ customer: 'readwrite' });
    const lookup = thinKeyLookup(table.tableName);
    expect((await lookup.findByHash(hashToken(first.value)))?.permissions).toEqual(defaults);
    expect((await lookup.findByHash(hashToken(scoped.value)))?.permissions).toEqual({ customer: ['write'], invoice: ['read'], plan: [] });

    const after = itemSize(await hotItem(first.value));
    expect(before - after).toBe(973 - 440);
    const hot = (await lookup.findByHash(hashToken(first.value)))!;
    const at = new Date();
    const write = await db.send(
      new UpdateCommand({ ...usageWrite(table.tableName, hot, at, new Date(at.getTime() - 60_000)), ReturnConsumedCapacity: 'TOTAL' }),
    );
    expect(write.ConsumedCapacity?.CapacityUnits).toBe(1);

    // Idempotent: nothing left to rewrite.
    expect((await operator.migrate()).hot_items).toEqual({ rewritten: 0, skipped: 1 });
  });

  it('leaves a hot item whose permissions changed since the scan, and recreates no deleted one', async () => {
    const { organization } = await operator.organizations.create({ name: 'Race', id: 'race-org', admins: ['a@race.test'] });
    const key = await operator.keys.create(organization.id, ACTOR, { permissions: { customer: ['read'] } });
    const gone = await operator.keys.create(organization.id, ACTOR, { permissions: { customer: ['read'] } });
    await writeOld(key.value, { customer: ['read'] });
    await writeOld(gone.value, { customer: ['read'] });
    // Between the scan and the write: a PATCH lands on one, the other key is deleted.
    const realSend = db.send.bind(db);
    const { rewriteHotPermissions } = await import('../../../lambdas/adapters/dynamodb/hot-item-migration');
    let scanned = false;
    const racing = {
      send: async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'UpdateCommand' && !scanned) {
          scanned = true;
          await operator.keys.update(organization.id, ACTOR, key.id, { permissions: { invoice: ['read'] } });
          await operator.keys.delete(organization.id, ACTOR, gone.id);
        }
        return realSend(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const result = await rewriteHotPermissions(racing, table.tableName);
    expect(result.rewritten).toBe(0);
    // The two, and the damaged map of the test before.
    expect(result.skipped).toBe(3);
    expect((await hotItem(key.value)).permissions).toBe('r:invoice');
    expect((await db.send(new GetCommand({ TableName: table.tableName, Key: hotKey(gone.value) }))).Item).toBeUndefined();
  });
});
