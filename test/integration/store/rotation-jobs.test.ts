import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { ManualClock } from '../../../lambdas/domain/clock';
import { ApiKeyLimitReached, PreconditionFailed } from '../../../lambdas/domain/errors';
import type { KeyStore, RetirementJob } from '../../../lambdas/domain/ports';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import type { OrganizationService } from '../../../lambdas/service/organization-service';
import { createTestTable } from '../../support/dynamodb';
import { InMemoryScheduler } from '../../support/fakes';
import { testServices } from '../../support/services';

/**
 * The retirement job of a scheduled rotation (API.md §3 "A rejected request changes nothing",
 * DESIGN.md "Lifecycle jobs"), with a concurrent change injected between the rotation's read and
 * its transaction, on DynamoDB Local: the job is created once the rules pass, kept exactly when
 * the rotation commits, and removed whenever it does not.
 */
const admin = { type: 'user' as const, email: 'admin@acme.test' };
const WIDE = { customer: ['read' as const, 'write' as const] };
const NARROW = { customer: ['read' as const] };

describe('retirement jobs of scheduled rotations (DynamoDB Local)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let store: DynamoDbKeyStore;
  let clock: ManualClock;
  let counter = 0;

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
  });

  /**
   * Services whose store runs `interfere` once, right before the first rotation transaction, and
   * can then fail that transaction with an error the store does not explain (`failAfterCommit`).
   */
  function services(options: { interfere?: () => Promise<void>; failAfterCommit?: boolean; scheduler?: InMemoryScheduler } = {}) {
    let interfered = false;
    const interfering: KeyStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'rotateKey') return Reflect.get(target, property, receiver);
        return async (input: Parameters<KeyStore['rotateKey']>[0]) => {
          if (!interfered) {
            interfered = true;
            await options.interfere?.();
            if (options.failAfterCommit) {
              await target.rotateKey(input);
              throw new Error('socket hang up');
            }
          }
          return target.rotateKey(input);
        };
      },
    });
    const scheduler = options.scheduler ?? new InMemoryScheduler();
    return { ...testServices(interfering, clock, scheduler), scheduler };
  }

  async function organizationWithKey(organizations: OrganizationService, keys: ApiKeyService) {
    const { organization } = await organizations.create({ name: `Jobs ${++counter}`, admins: [admin.email] });
    const key = await keys.create(organization.id, admin, { name: 'rotating', permissions: WIDE });
    return { organizationId: organization.id, key };
  }

  it('keeps the one job of a rotation that lost a race, retried from a fresh read, and committed with the narrowing', async () => {
    const plain = testServices(store, clock);
    const { organizationId, key } = await organizationWithKey(plain.organizations, plain.keys);
    const { keys, scheduler } = services({
      interfere: async () => void (await plain.keys.update(organizationId, admin, key.id, { permissions: NARROW })),
    });

    const { api_key: next } = await keys.rotate(organizationId, admin, key.id, { expires_in: '24h' });

    expect(next.permissions).toEqual(NARROW);
    const old = (await store.getKey(organizationId, key.id))!;
    expect(scheduler.pending).toEqual([{ organizationId, apiKeyId: key.id, expiresAt: old.expiresAt, id: old.retirementJobId }]);
  });

  it('removes its job when the client’s If-Match no longer matches after the lost race (412)', async () => {
    const plain = testServices(store, clock);
    const { organizationId, key } = await organizationWithKey(plain.organizations, plain.keys);
    const { keys, scheduler } = services({
      interfere: async () => void (await plain.keys.update(organizationId, admin, key.id, { name: 'renamed' })),
    });

    await expect(keys.rotate(organizationId, admin, key.id, { expires_in: '24h' }, [key.version])).rejects.toBeInstanceOf(
      PreconditionFailed,
    );

    expect(scheduler.pending).toEqual([]);
    expect(await store.getKey(organizationId, key.id)).toMatchObject({ expiresAt: null, name: 'renamed' });
  });

  it('removes its job when the organization filled up between the check and the transaction (422)', async () => {
    const plain = testServices(store, clock);
    const { organizationId, key } = await organizationWithKey(plain.organizations, plain.keys);
    for (let held = 2; held < 99; held += 10) {
      await Promise.all(Array.from({ length: Math.min(10, 99 - held) }, () => plain.keys.create(organizationId, admin, {})));
    }
    expect(await store.keyCount(organizationId)).toBe(99);
    const { keys, scheduler } = services({ interfere: async () => void (await plain.keys.create(organizationId, admin, {})) });

    await expect(keys.rotate(organizationId, admin, key.id, { expires_in: '1h' })).rejects.toBeInstanceOf(ApiKeyLimitReached);

    expect(scheduler.pending).toEqual([]);
    expect(await store.getKey(organizationId, key.id)).toMatchObject({ expiresAt: null });
  });

  it('keeps its job when the transaction fails in a way that may hide a commit (a lost response)', async () => {
    const plain = testServices(store, clock);
    const { organizationId, key } = await organizationWithKey(plain.organizations, plain.keys);
    const { keys, scheduler } = services({ failAfterCommit: true });

    await expect(keys.rotate(organizationId, admin, key.id, { expires_in: '1h' })).rejects.toThrow('socket hang up');

    const old = (await store.getKey(organizationId, key.id))!;
    expect(old.expiresAt).toBe('2036-11-26T05:00:00.000Z');
    expect(scheduler.pending).toEqual([{ organizationId, apiKeyId: key.id, expiresAt: old.expiresAt, id: old.retirementJobId }]);
  });

  it('still answers the refusal, not the failure, when removing its job fails (a left job is harmless)', async () => {
    const plain = testServices(store, clock);
    const { organizationId, key } = await organizationWithKey(plain.organizations, plain.keys);
    const created: RetirementJob[] = [];
    const failingCancel = Object.assign(new InMemoryScheduler(), {
      async scheduleRetirement(job: RetirementJob) {
        created.push(job);
      },
      async cancelRetirement() {
        throw new Error('scheduler unavailable');
      },
    });
    const { keys } = services({
      scheduler: failingCancel,
      interfere: async () => void (await plain.keys.update(organizationId, admin, key.id, { name: 'renamed' })),
    });

    await expect(keys.rotate(organizationId, admin, key.id, { expires_in: '24h' }, [key.version])).rejects.toBeInstanceOf(
      PreconditionFailed,
    );
    expect(created).toHaveLength(1);
  });

  it('removes the job of a pending rotation when its key is deleted, and leaves other jobs alone', async () => {
    const plain = testServices(store, clock);
    const { organizationId, key } = await organizationWithKey(plain.organizations, plain.keys);
    const other = await plain.keys.create(organizationId, admin, {});
    const { keys, scheduler } = services();
    await keys.rotate(organizationId, admin, key.id, { expires_in: '1h' });
    await keys.rotate(organizationId, admin, other.id, { expires_in: '48h' });
    expect(scheduler.pending).toHaveLength(2);

    await keys.delete(organizationId, admin, key.id);

    expect(scheduler.pending.map((job) => job.apiKeyId)).toEqual([other.id]);
  });
});
