import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemSize } from '../../../bench/item-size';
import { usageWrite } from '../../../lambdas/adapters/dynamodb/hot-key-requests';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { allowedIpsSchema, MAX_ALLOWED_IPS } from '../../../lambdas/domain/allowed-ips';
import { ManualClock } from '../../../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../../../lambdas/domain/permissions';
import { hashToken } from '../../../lambdas/domain/token';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { createTestTable, thinKeyLookup } from '../../support/dynamodb';
import { testServices } from '../../support/services';

const ORG = 'acme';
const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;
/** As API Gateway usage identifiers are made (api-gateway-usage-identifiers.ts): 30 random bytes, base64url. */
const USAGE_IDENTIFIER = { id: 'a1b2c3d4e5', value: 'Xy7_Qm2-Vt9KpLr4Ws8ZbNc3Hd6Jf1Ga5Ue0Oi2Y' };
/** One write unit per KB (1,024 bytes) of the item, the larger of before and after. */
const WRITE_UNIT_BYTES = 1024;

/**
 * What the authorizer's one write costs (issue 15 item 10): the `last_used_at` UpdateItem on the hot
 * item is charged by the item's size, so the hot item of a default key (every catalog resource, read
 * and write, a usage identifier) must stay within one write unit. Measured on DynamoDB Local by
 * ReturnConsumedCapacity, with the item's size by DynamoDB's rules (bench/item-size.ts) beside it.
 */
describe('the hot item of a key on DynamoDB Local: size and the write units of the authorizer’s write', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let db: DynamoDBDocumentClient;
  let keys: ApiKeyService;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable();
    db = DynamoDBDocumentClient.from(table.client);
    const store = new DynamoDbKeyStore(db, table.tableName);
    const services = testServices(store, clock);
    keys = services.keys;
    await services.organizations.create({ name: 'Acme', id: ORG, admins: [ADMIN.email] });
    await store.setUsageIdentifier(ORG, USAGE_IDENTIFIER);
  });

  afterAll(async () => {
    await table.drop();
  });

  /** The hot item's size after the authorizer's write, and the write units that write consumed. */
  async function measure(value: string): Promise<{ bytes: number; writeUnits: number | undefined }> {
    const hot = (await thinKeyLookup(table.tableName).findByHash(hashToken(value)))!;
    const at = clock.now();
    const write = await db.send(
      new UpdateCommand({ ...usageWrite(table.tableName, hot, at, new Date(at.getTime() - 60_000)), ReturnConsumedCapacity: 'TOTAL' }),
    );
    const { Item } = await db.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: `KEYHASH#${hashToken(value)}`, sk: 'KEYHASH' }, ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ last_used_at: at.toISOString(), usage_identifier: USAGE_IDENTIFIER.value });
    return { bytes: itemSize(Item!), writeUnits: write.ConsumedCapacity?.CapacityUnits };
  }

  it('a default key (all 38 resources, read and write, no allowlist, a usage identifier): within 1 KB, one write unit', async () => {
    const { value } = await keys.create(ORG, ADMIN, {});
    const { bytes, writeUnits } = await measure(value);
    // 708 B: room left for an expiry and about a dozen allowlist blocks.
    expect(bytes).toBeLessThanOrEqual(720);
    expect(writeUnits).toBe(1);
  });

  it('a default key with an expiry and 12 full-length IPv4 addresses: still one write unit', async () => {
    const allowed = allowedIpsSchema.parse(Array.from({ length: 12 }, (_, i) => `198.151.200.${100 + i}`))!;
    expect(allowed.every((block) => block.length === 18)).toBe(true);
    const { value } = await keys.create(ORG, ADMIN, { expires_in: '30d', allowed_ips: allowed });
    const { bytes, writeUnits } = await measure(value);
    expect(bytes).toBeLessThanOrEqual(WRITE_UNIT_BYTES);
    expect(writeUnits).toBe(1);
  });

  it('a one-resource key: one write unit', async () => {
    const { value } = await keys.create(ORG, ADMIN, { permissions: { customer: ['read'] } });
    const { bytes, writeUnits } = await measure(value);
    expect(bytes).toBeLessThan(WRITE_UNIT_BYTES / 2);
    expect(writeUnits).toBe(1);
  });

  it('the worst case, every resource and 20 full-length IPv6 blocks: two write units (docs/operating.md)', async () => {
    const blocks = Array.from({ length: MAX_ALLOWED_IPS }, (_, i) => `2001:db8f:1234:5678:9abc:def1:2345:67${(0x10 + i).toString(16)}/128`);
    const allowed = allowedIpsSchema.parse(blocks)!;
    expect(allowed.every((block) => block.length === 43)).toBe(true);
    const { value } = await keys.create(ORG, ADMIN, { allowed_ips: allowed });
    const { bytes, writeUnits } = await measure(value);
    expect(bytes).toBeGreaterThan(WRITE_UNIT_BYTES);
    expect(bytes).toBeLessThanOrEqual(2 * WRITE_UNIT_BYTES);
    expect(writeUnits).toBe(2);
  });

  it('holds every catalog resource in a default key, so the figures above are of the whole catalog', () => {
    expect(DEFAULT_RESOURCE_CATALOG).toHaveLength(38);
  });
});
